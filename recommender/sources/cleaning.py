"""Text clean-up shared by every digest parser.

Digests reach us hard-wrapped (arXiv API summaries, 2024-era Hugging Face titles),
HTML-escaped (RSS descriptions) and sometimes double-encoded (``RamÃ­rez`` for
``Ramírez`` in a real arXiv API response).  :func:`clean_text` turns any of those
into one display line.
"""

from __future__ import annotations

import codecs
import html
import json
import re
import unicodedata

import charset_normalizer
import ftfy

from .records import ParseError

__all__ = ["clean_text", "decode_bytes", "decode_input", "json_array_lines", "load_json", "split_authors", "strip_tags"]

# ftfy repairs mojibake; we keep typographic quotes as the authors wrote them and
# unescape HTML ourselves (ftfy only does it when the text has no '<').
_FTFY_CONFIG = ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False, normalization="NFC")

# Characters that render as nothing and only get in the way of comparisons.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WHITESPACE = re.compile(r"\s+")
# Pure ASCII text without control characters is left alone by ftfy: skip it (speed).
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


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
    if "&" in text:
        text = html.unescape(text)
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return _WHITESPACE.sub(" ", text).strip()
    # Lone surrogates (from JSON "\ud800" escapes) cannot be encoded; ftfy fixes
    # surrogate pairs, and anything still unpaired is replaced here.
    text = ftfy.fix_text(text, _FTFY_CONFIG)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.translate(_INVISIBLE)
    text = _WHITESPACE.sub(" ", text).strip()
    return unicodedata.normalize("NFC", text)


def strip_tags(markup: str) -> str:
    """Drop HTML tags from ``markup`` (entities are left for :func:`clean_text`).

    Only well-formed tags (``<p>``, ``</a>``, ``<br/>``) are removed, so an
    escaped ``&lt;`` or a lone ``<`` in mathematics is kept.
    """
    return _TAG.sub(" ", markup)


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


# Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Among equally plausible single-byte guesses, the web's default (WHATWG maps latin-1 to it).
_PREFERRED_SINGLE_BYTE = ("cp1252", "latin_1", "iso8859_15")


def _guess(raw: bytes) -> tuple[str, str] | None:
    """Text and encoding charset-normalizer finds for ``raw``, or None for binary."""
    matches = charset_normalizer.from_bytes(raw)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if match.encoding in _PREFERRED_SINGLE_BYTE and match.chaos <= best.chaos:
            best = match
            break
    text = str(best)
    if "\x00" in text:
        return None
    return text, best.encoding


# A well-formed UTF-8 sequence of two to four bytes (RFC 3629, section 4): text meant as UTF-8 holds them.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_HIGH_BYTES = re.compile(rb"[\x80-\xff]+")
_NO_TEXT = frozenset({"Cc", "Cf", "Cn", "Co", "Cs"})


def _line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _stray_byte(raw: bytes, encoding: str) -> tuple[int, str] | None:
    """The offset of the first run of non-ASCII bytes that reads as no text in ``encoding``, and why; None if all do.

    Text in a legacy encoding uses its non-ASCII bytes for letters within words (``caf\\xe9``) and for
    punctuation and symbols (cp1252's quotes and dashes). A run that decodes to a control or unassigned
    character, a lowercase letter glued to the capital starting the next word (``\\xffClimate`` as
    ``ÿClimate``), or an accent mark not between two letters (``˙Climate`` in cp1250) is a stray byte.
    """
    for m in _HIGH_BYTES.finditer(raw):
        try:
            chars = m.group().decode(encoding)
        except (UnicodeDecodeError, LookupError):
            return m.start(), f"undecodable as {encoding}"
        before = chr(raw[m.start() - 1]) if m.start() else " "
        after = chr(raw[m.end()]) if m.end() < len(raw) and raw[m.end()] < 0x80 else " "
        if any(unicodedata.category(c) in _NO_TEXT for c in chars):
            return m.start(), f"a control character in {encoding}"
        if chars[-1].islower() and after.isupper() or before.islower() and chars[0].isupper():
            return m.start(), f"{chars!r} glued to {(before + chars + after).strip()!r} in {encoding}"
        if any(unicodedata.category(c) == "Sk" for c in chars) and not (before.isalpha() and after.isalpha()):
            return m.start(), f"a lone accent mark ({(before + chars + after).strip()!r}) in {encoding}"
    return None


def decode_bytes(raw: bytes, source: str = "<input>") -> tuple[str, str]:
    """Decode a digest's bytes and say which encoding was used.

    Order: a byte-order mark (UTF-8, UTF-16 or UTF-32) decides; else strict UTF-8 (a few NUL
    characters in it are an error: ASCII text saved as UTF-16 without a BOM is valid UTF-8 with
    a NUL every other byte); else, when the file holds at least as many well-formed multi-byte
    UTF-8 sequences as invalid bytes, it is UTF-8 with stray bytes, an error; else the encoding
    ``charset_normalizer`` finds most plausible (UTF-16 without BOM, cp1252/Latin-1, ...),
    preferring cp1252 among equally plausible single-byte encodings, as long as every
    non-ASCII byte reads as text in it (:func:`_stray_byte`).

    Parameters
    ----------
    raw : bytes
        The digest as read from a file or URL.
    source : str
        Name used in error messages.

    Returns
    -------
    (str, str)
        The text without BOM, and the codec name (``"utf-8"``, ``"utf-16-le"``,
        ``"cp1252"``...).

    Raises
    ------
    ParseError
        Binary data (no encoding gives text), a NUL character, or UTF-8 with invalid bytes or a
        stray byte no legacy encoding reads as text; the line is the one holding the first such byte.
    """
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ParseError(f"starts with a {encoding} byte-order mark but is not {encoding} text "
                                 f"(undecodable byte at offset {exc.start + len(bom)})", source=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        if "\x00" not in text:
            return text, "utf-8"
        first_bad = raw.index(b"\x00")
        if raw.count(b"\x00") * 4 < len(raw):  # not UTF-16/32 without a BOM: NULs in UTF-8 text
            raise ParseError("a NUL character (control character U+0000) in UTF-8 text; a digest holds none",
                             source=source, line=_line(raw, first_bad))
    if b"\x00" not in raw:
        invalid = raw.decode("utf-8", "replace").count("\ufffd") - raw.count("\ufffd".encode())
        if len(_UTF8_MULTIBYTE.findall(raw)) >= invalid:
            raise ParseError(f"not valid UTF-8: byte 0x{raw[first_bad]:02X} is not UTF-8 though the text around "
                             f"it is ({invalid} invalid byte{'s' if invalid != 1 else ''} in all)",
                             source=source, line=_line(raw, first_bad))
    guessed = _guess(raw)
    if guessed is None:
        raise ParseError(f"not text: not UTF-8 (undecodable byte at offset {first_bad}) and no other "
                         "text encoding fits; is this a digest?", source=source, line=_line(raw, first_bad))
    if b"\x00" not in raw and (stray := _stray_byte(raw, guessed[1])) is not None:
        offset, why = stray
        raise ParseError(f"not valid UTF-8: byte 0x{raw[offset]:02X} is not UTF-8, and no text in a legacy "
                         f"encoding ({why})", source=source, line=_line(raw, offset))
    return guessed


def decode_input(data: bytes | str, source: str = "<input>") -> str:
    """Return the text of a digest given as bytes or str.

    Parameters
    ----------
    data : bytes or str
        Raw digest.  Bytes are decoded by :func:`decode_bytes`; a leading
        byte-order mark is dropped from str too.
    source : str
        Name used in error messages.

    Returns
    -------
    str
        The decoded text.

    Raises
    ------
    ParseError
        When ``data`` is neither bytes nor str, or the bytes are not text.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = decode_bytes(bytes(data), source)[0]
    elif isinstance(data, str):
        text = data
    else:
        raise ParseError(f"expected bytes or str, got {type(data).__name__}", source=source)
    return text.removeprefix("\ufeff")


_HUGE_INT = re.compile(r"-?\d{4300,}")


def load_json(text: str, source: str = "<input>") -> object:
    """Parse JSON text, turning every failure into a :class:`ParseError`.

    Parameters
    ----------
    text : str
        The decoded JSON document.
    source : str
        Name used in error messages.

    Returns
    -------
    object
        The decoded value.

    Raises
    ------
    ParseError
        Invalid JSON (with its line), nesting too deep, or an integer longer
        than Python converts (4,300 digits; ``sys.get_int_max_str_digits``),
        naming the line that holds it.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply to be a digest", source=source) from None
    except ValueError as exc:  # int too long to convert: CPython's guard against quadratic int()
        m = _HUGE_INT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else None
        digits = len(m.group().lstrip("-")) if m else "too many"
        raise ParseError(f"JSON holds an integer of {digits} digits, too long to be a digest value ({exc})",
                         source=source, line=line) from None


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def json_array_lines(text: str, path: tuple[str | int, ...] = ()) -> list[int]:
    """1-based line where each element of the JSON array at ``path`` starts in ``text``.

    Parameters
    ----------
    text : str
        A JSON document that :func:`load_json` read without error.
    path : tuple of str and int
        Steps from the top-level value to the array: a key into an object, an index into
        an array (``("entries",)``, ``("https://rss.arxiv.org/rss/cs.LG", "entries")``);
        a key given twice counts as ``json.loads`` keeps it, the last.

    Returns
    -------
    list of int
        One line per element, in order; empty when ``path`` leads to no array. The
        standard library's decoder skips each element (``raw_decode``), so nesting and
        strings are read exactly as :func:`load_json` read them.
    """
    decoder = json.JSONDecoder()

    def space(pos: int) -> int:
        return _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string

    def elements(pos: int) -> list[int]:
        starts: list[int] = []
        pos = space(pos + 1)
        while text[pos] != "]":
            starts.append(pos)
            pos = space(decoder.raw_decode(text, pos)[1])
            pos = space(pos + 1) if text[pos] == "," else pos
        return starts

    def members(pos: int) -> dict[str, int]:
        found: dict[str, int] = {}
        pos = space(pos + 1)
        while text[pos] != "}":
            key, pos = decoder.raw_decode(text, pos)
            pos = space(space(pos) + 1)  # past the colon
            found[key] = pos
            pos = space(decoder.raw_decode(text, pos)[1])
            pos = space(pos + 1) if text[pos] == "," else pos
        return found

    pos = space(0)
    for step in path:
        if isinstance(step, int) and text[pos] == "[":
            starts = elements(pos)
            if not 0 <= step < len(starts):
                return []
            pos = starts[step]
        elif isinstance(step, str) and text[pos] == "{":
            found = members(pos)
            if step not in found:
                return []
            pos = found[step]
        else:
            return []
    if text[pos] != "[":
        return []
    lines, line, last = [], 1, 0
    for start in elements(pos):
        line += text.count("\n", last, start)
        lines.append(line)
        last = start
    return lines
