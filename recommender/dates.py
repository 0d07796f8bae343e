"""A paper's publication date and how much of it is known: a day, a month, or a year alone.

The store keeps a date as a calendar day (``papers.published``) and its precision beside it
(``papers.published_precision``): :data:`YEAR` (the day is that year's 1 January), :data:`MONTH`
(the month's 1st) or ``None``, a known day. A year alone, as a BibTeX ``year = 2019`` with no
month gives it, is shown as ``2019``, never as ``2019-01-01``, which would claim a day nobody knows.
Pure functions, no imports beyond the standard library: adapters format with them.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["MONTH", "YEAR", "arxiv_month", "format_date", "parse_date", "precision_rank", "replaces"]

#: ``papers.published_precision`` of a date known to its year only (stored as its 1 January).
YEAR = "year"
#: ``papers.published_precision`` of a date known to its month only (stored as its 1st).
MONTH = "month"

_RANK = {YEAR: 0, MONTH: 1, None: 2}
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def precision_rank(precision: str | None) -> int:
    """How much a precision knows: 0 for :data:`YEAR`, 1 for :data:`MONTH`, 2 for a day (``None``).

    Raises
    ------
    ValueError
        ``precision`` is none of those.
    """
    try:
        return _RANK[precision]
    except KeyError:
        raise ValueError(f"unknown date precision {precision!r}: 'year', 'month' or None (a day)") from None


def _number(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _month(value) -> int | None:
    """1-12 from ``"may"``, ``"May"``, ``"June"``, ``"5"``, ``5``; None when unreadable or out of range."""
    text = str(value).strip().lower()
    number = _MONTHS.get(text[:3]) if text[:1].isalpha() else _number(text)
    return number if number is not None and 1 <= number <= 12 else None


def parse_date(year, month=None, day=None) -> tuple[dt.date, str | None] | None:
    """A date and its precision from loose year, month and day values, as reference managers export them.

    Parameters
    ----------
    year, month, day : str, int or None
        ``"2019"`` (only its first four characters are read), ``"may"`` / ``"June"`` / ``"5"`` / ``5``,
        ``"02"`` / ``2``. An empty value counts as missing.

    Returns
    -------
    tuple of (datetime.date, str or None), or None
        ``(2019-05-02, None)`` for a day; ``(2019-05-01, "month")`` when the day is missing or is no day
        of that month; ``(2019-01-01, "year")`` when the month is missing or cannot be read (``"summer"``,
        ``13``); None when there is no readable year (1 to 9999).
    """
    y = _number(str(year).strip()[:4]) if year is not None else None
    if y is None or not 1 <= y <= 9999:
        return None
    m = _month(month) if month not in (None, "") else None
    if m is None:
        return dt.date(y, 1, 1), YEAR
    d = _number(day) if day not in (None, "") else None
    try:
        return (dt.date(y, m, d), None) if d is not None else (dt.date(y, m, 1), MONTH)
    except ValueError:  # day 31 of a 30-day month, day 0
        return dt.date(y, m, 1), MONTH


def arxiv_month(arxiv_id: str | None) -> tuple[dt.date, str] | None:
    """The month an arXiv id was given, at month precision: ``1701.06538`` is January 2017 and
    ``hep-th/9901001`` January 1999; None for no id.

    Both styles of id begin with the submission's ``YYMM`` (https://info.arxiv.org/help/arxiv_identifier.html;
    old-style ids run from 1991 to March 2007).
    """
    digits = (arxiv_id or "").rsplit("/", 1)[-1][:4]
    if len(digits) != 4 or not digits.isdigit() or not 1 <= int(digits[2:]) <= 12:
        return None
    year = int(digits[:2])
    old_style = "/" in (arxiv_id or "")  # 1991 to March 2007; a new-style id (from April 2007) is always 20YY
    return dt.date((1900 if old_style and year >= 91 else 2000) + year, int(digits[2:]), 1), MONTH


def format_date(day: dt.date | None, precision: str | None = None, *, undated: str = "undated") -> str:
    """A date shown at its precision: ``"2019"``, ``"Mar 2019"`` or ``"2019-03-05"``; ``undated`` when None.

    Month names are English abbreviations whatever the locale.

    Raises
    ------
    ValueError
        ``precision`` is not :data:`YEAR`, :data:`MONTH` or None.
    """
    rank = precision_rank(precision)
    if day is None:
        return undated
    if rank == 0:
        return f"{day.year}"
    if rank == 1:
        return f"{tuple(_MONTHS)[day.month - 1].capitalize()} {day.year}"
    return day.isoformat()


def replaces(day: dt.date | None, precision: str | None, stored: dt.date | None, stored_precision: str | None) -> bool:
    """Whether a date (``day`` at ``precision``) should replace the one stored (``stored`` at ``stored_precision``).

    A date replaces no date; a more precise one replaces a less precise one; at the same precision the
    earlier wins (sources differ: the arXiv API gives a first version's day, a listing its announcement);
    a less precise date never replaces a more precise one, and no date (``day`` None) replaces nothing.
    """
    if day is None:
        return False
    if stored is None:
        return True
    new, old = precision_rank(precision), precision_rank(stored_precision)
    return new > old or (new == old and day < stored)
