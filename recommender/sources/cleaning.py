"""Text clean-up shared by every digest parser.

Digests reach us hard-wrapped (arXiv API summaries, 2024-era Hugging Face titles),
HTML-escaped (RSS descriptions) and sometimes double-encoded (``RamÃ­rez`` for
``Ramírez`` in a real arXiv API response).  :func:`clean_text` turns any of those
into one display line.
"""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy

from .records import ParseError

__all__ = ["clean_text", "split_authors", "decode_input"]

# ftfy repairs mojibake; we keep typographic quotes as the authors wrote them and
# unescape HTML ourselves (ftfy only does it when the text has no '<').
_FTFY_CONFIG = ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False, normalization="NFC")

# Characters that render as nothing and only get in the way of comparisons.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WHITESPACE = re.compile(r"\s+")


def clean_text(value: object) -> str:
    """Return ``value`` as one clean display line.

    Steps, in order: HTML entities unescaped (once, with :func:`html.unescape`),
    mojibake and other encoding damage repaired with ``ftfy``, invisible
    characters (zero-width spaces, soft hyphens, BOM) dropped, every run of
    whitespace -- hard line breaks included -- collapsed to one space, ends
    stripped, Unicode NFC.

    Parameters
    ----------
    value : str or None
        Raw text from a digest.  ``None`` gives ``""``; any other non-string is
        converted with :func:`str` first.

    Returns
    -------
    str
        The cleaned text, possibly empty.  Never raises for any input.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = html.unescape(text)
    # Lone surrogates (from JSON "\ud800" escapes) cannot be encoded; ftfy fixes
    # surrogate pairs, and anything still unpaired is replaced here.
    text = ftfy.fix_text(text, _FTFY_CONFIG)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.translate(_INVISIBLE)
    text = _WHITESPACE.sub(" ", text).strip()
    return unicodedata.normalize("NFC", text)


def split_authors(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated author string (arXiv ``dc:creator`` style).

    Parameters
    ----------
    value : str or None
        ``"Antonin Monteil, Paul Pegon"``; a final ``" and "`` is also a separator.

    Returns
    -------
    tuple of str
        Cleaned, non-empty author names in order.
    """
    if not value:
        return ()
    text = clean_text(value)
    parts = re.split(r",\s*|\s+and\s+", text)
    return tuple(p for p in (part.strip() for part in parts) if p)


def decode_input(data: bytes | str, source: str = "<input>") -> str:
    """Return the text of a digest given as bytes or str.

    Parameters
    ----------
    data : bytes or str
        Raw digest.  Bytes must be UTF-8; a leading byte-order mark is dropped
        from bytes and str alike.
    source : str
        Name used in error messages.

    Returns
    -------
    str
        The decoded text.

    Raises
    ------
    ParseError
        When ``data`` is neither bytes nor str, or the bytes are not UTF-8.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ParseError(
                f"not UTF-8 text (undecodable byte at offset {exc.start}); is this a digest?",
                source=source,
                line=line,
            ) from None
    elif isinstance(data, str):
        text = data
    else:
        raise ParseError(f"expected bytes or str, got {type(data).__name__}", source=source)
    return text[1:] if text.startswith("\ufeff") else text
