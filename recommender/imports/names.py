"""Authors' names between a reference manager's forms and the store's one form, "Given Family".

The store holds every author as digests and CSL-JSON give them: ``"Jimmy Lei Ba"``, ``"John von Neumann"``,
``"John Smith Jr."``; a group or a one-word name as written (``"National Academies of Sciences, Engineering,
and Medicine"``, ``"Ada"``). BibTeX names are split by bibtexparser's own reading of BibTeX's three forms
(``First von Last``, ``von Last, First``, ``von Last, Jr, First``; a braced group is one word, hence one
literal name). Written back, a stored name is split by the same rules (the last word is the family name,
with any lowercase particle before it: ``von Neumann``), and a trailing ``Jr.``, ``Sr.``, ``II``, ``III`` or
``IV`` is a suffix, which BibTeX's ``First von Last`` form has no place for.

A stored name holding commas and no "and" is read as ``Family, Given``, ``Family, Jr., Given`` or ``Family, Given,
Jr.``, what imports stored before, when it looks like one (:func:`_old_style`); else it is a literal.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from recommender.text.analyzer import NAME_SUFFIXES

if TYPE_CHECKING:
    from bibtexparser.middlewares.names import NameParts

__all__ = ["bibtex_author", "bibtex_name", "csl_author", "csl_name", "is_literal", "ris_author", "ris_name", "surname"]

#: Words ending a stored name that are a suffix, not its family name (compared lowercased).
_SUFFIXES = NAME_SUFFIXES | {suffix + "." for suffix in NAME_SUFFIXES}
_AND = re.compile(r"\sand\s", re.IGNORECASE)
#: A tilde accent in LaTeX: ``\~n``, ``\~{n}``, ``\~\i``.
_TILDE = re.compile(r"\\~(\{[^{}]*\}|\\?[A-Za-z])")
#: What follows the comma of a company's name, not a given name (``Google, Inc.``), compared lowercased.
_COMPANY = frozenset({"inc", "inc.", "ltd", "ltd.", "llc", "corp", "corp.", "gmbh", "ag", "sa", "plc"})


def bibtex_name(raw: str) -> str:
    """One BibTeX name, still LaTeX (``M{\\"u}ller, J{\\"o}rg``), as ``First von Last Jr`` (``J{\\"o}rg M{\\"u}ller``).

    A braced group (``{Research and Development Team}``) is one word, kept whole. Never raises: a malformed
    name (a trailing comma, an unclosed brace) is read as bibtexparser's non-strict mode reads it.
    """
    from bibtexparser.middlewares.names import parse_single_name_into_parts  # imported when used, as in .formats

    if not raw.strip():
        return raw
    # BibTeX reads "~" as a tie (a space): a tilde accent (Mu\~noz, Mu\~{n}oz) is braced first, so it stays in its word
    return parse_single_name_into_parts(_TILDE.sub(r"{\\~\1}", raw), strict=False).merge_first_name_first


def ris_name(name: str) -> str:
    """One RIS name, ``Family, Given`` or ``Family, Given, Suffix`` (the RIS spec's order), as ``Given Family Suffix``.

    A name without a comma, or whose parts do not fit that pattern (a group: ``National Academies of Sciences,
    Engineering, and Medicine``, ``University of California, Berkeley``: :func:`_old_style`), is kept as written.
    """
    parts = [" ".join(p.split()) for p in name.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}" if _old_style(name) is not None else name  # not "University of California, Berkeley"
    if len(parts) == 3 and all(parts) and parts[2].lower() in _SUFFIXES:
        return f"{parts[1]} {parts[0]} {parts[2]}"
    return name


def csl_name(author: dict) -> str:
    """One CSL-JSON name object as ``given dropping-particle non-dropping-particle family suffix``, else its
    ``literal`` ("" when it has neither)."""
    keys = ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")
    joined = " ".join(v for v in (author.get(k) for k in keys) if isinstance(v, str) and v.strip())
    literal = author.get("literal")
    return joined or (literal if isinstance(literal, str) else "")


def _parts(name: str) -> NameParts | None:
    """A stored name's parts (family = von + last), or None for a literal: one word, or a group (it holds the
    word "and", or commas that are not an earlier import's ``Family, Given``: :func:`_old_style`)."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    name = " ".join(name.split())
    if _AND.search(name) or (" " not in name and "," not in name):
        return None
    if "," in name:  # "Family, Given" (or with a suffix), as stored before names were turned round
        written = _old_style(name)
        if written is None:
            return None
        parts = parse_single_name_into_parts(written, strict=False)
    else:
        words = name.split()
        suffix = [words.pop()] if len(words) > 2 and words[-1].lower() in _SUFFIXES else []
        parts = parse_single_name_into_parts(" ".join(words), strict=False)
        parts.jr = suffix
    return parts if parts.first and parts.last else None


def _old_style(name: str) -> str | None:
    """A stored name with commas as BibTeX's ``von Last, First`` or ``von Last, Jr, First`` when it is a person as
    imports stored them before: ``Family, Given``, BibTeX's ``Family, Jr., Given`` or RIS's ``Family, Given, Jr.``;
    else None (a literal).

    A person's family name is one word, or two capitalised ones (``García Márquez``, ``Le Cun``), after any
    lowercase particles (``von Neumann``, ``de la Cruz``); the given name is one to three words that are no
    suffix or company. ``University of California, Berkeley``, ``John Smith, Jr.``, ``Google, Inc.`` and
    ``National Academies of Sciences, Engineering, and Medicine`` are kept as written.
    """
    parts = [part.split() for part in name.split(",")]
    if len(parts) == 3 and len(parts[1]) == 1 and parts[1][0].lower() in _SUFFIXES:
        family, jr, given = parts  # BibTeX's von Last, Jr, First
    elif len(parts) == 3 and len(parts[2]) == 1 and parts[2][0].lower() in _SUFFIXES:
        family, given, jr = parts  # RIS's Family, Given, Suffix
    elif len(parts) == 2:
        (family, given), jr = parts, []
    else:
        return None
    core = family[next((i for i, word in enumerate(family) if not word[:1].islower()), len(family)):]
    person = (1 <= len(core) <= 2 and (len(core) == 1 or all(word[:1].isupper() for word in core))
              and 1 <= len(given) <= 3 and given[0].lower() not in _SUFFIXES | _COMPANY)
    return ", ".join(" ".join(p) for p in (family, jr, given) if p) if person else None


def _family(parts: NameParts) -> str:
    return " ".join(parts.von + parts.last)


def is_literal(name: str) -> bool:
    """Whether a stored name is no person's "Given Family": one word, or a group (it holds the word "and", or
    commas that are no earlier import's ``Family, Given``). BibTeX braces a group of several words, so that it is
    read back as one name."""
    return _parts(name) is None


def bibtex_author(name: str) -> str:
    """A stored name as BibTeX writes it: ``von Last, First`` or ``Last, Jr., First``; a literal as it is
    (:func:`is_literal`; the caller braces it once LaTeX-encoded)."""
    parts = _parts(name)
    return name if parts is None else parts.merge_last_name_first


def ris_author(name: str) -> str:
    """A stored name as RIS writes it: ``Family, Given`` or ``Family, Given, Suffix``; a literal as it is."""
    parts = _parts(name)
    if parts is None:
        return name
    return ", ".join(p for p in (_family(parts), " ".join(parts.first), " ".join(parts.jr)) if p)


def csl_author(name: str) -> dict[str, str]:
    """A stored name as a CSL-JSON name object: ``{"family", "given"}`` (and ``"suffix"``), or ``{"literal"}``
    for a single word or a group."""
    parts = _parts(name)
    if parts is None:
        return {"literal": name}
    return {"family": _family(parts), "given": " ".join(parts.first)} | ({"suffix": " ".join(parts.jr)} if parts.jr else {})


def surname(name: str) -> str:
    """The word(s) a citation key starts with: a person's last name without particle or suffix (``Neumann``);
    a literal's part before its first comma, else its last word."""
    parts = _parts(name)
    if parts is not None:
        return " ".join(parts.last)
    return name.split(",")[0] if "," in name else (name.split() or [""])[-1]
