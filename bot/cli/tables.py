"""Tables that fit the terminal without cutting a word that must stay whole (a timezone, a workspace id, a date)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

#: How many cells a column that may fold mid-word (a target's name) keeps, or its longest word if shorter,
#: before a timezone of a column kept whole is broken after a slash.
FOLD_FLOOR = 10


def fit_rows(console: Console, table: Table, rows: Sequence[Sequence[str]], whole: Iterable[int],
             breakable: Iterable[int] = ()) -> list[list[str]]:
    """Fit ``table`` (its columns made, no rows yet) to ``console`` for ``rows`` (plain text, one cell per column).

    A table wider than the terminal gets fixed column widths (terminal cells, :func:`fit_widths`), so that
    no word of a column in ``whole`` is folded mid-word (a date, ``unreachable``): each such column is at
    least as wide as its longest word, every other column as its header's longest word, then up to
    :data:`FOLD_FLOOR`; the room left makes the longest words of ``whole`` columns whole, then goes to the
    columns whose cells take more than one line, the widest held back first. A word of a ``breakable`` column
    (also in ``whole``) that would not fit is broken after a slash instead (``America/Argentina/`` over
    ``Buenos_Aires``), as late as its width allows. A table that fits, or whose words cannot all be kept
    whole, is left as it is.

    Returns the rows to add, ``breakable`` columns' cells broken where they had to be.
    """
    whole, breakable = set(whole), set(breakable)
    widths = _widths(console, table, rows, whole, breakable)
    if widths is None:
        return [list(row) for row in rows]
    rows = [[_break(cell, widths[i]) if i in breakable else cell for i, cell in enumerate(row)] for row in rows]
    # measured again: a name broken after a slash may leave its column wider than its lines
    for column, width in zip(table.columns, _widths(console, table, rows, whole, breakable) or [None] * len(widths),
                             strict=True):
        column.width = width
    return rows


def _widths(console: Console, table: Table, rows: Sequence[Sequence[str]], whole: set[int],
            breakable: set[int]) -> list[int] | None:
    """:func:`fit_rows`'s widths for ``rows``, None when the table fits or its words cannot all be kept whole."""
    columns = [[str(column.header), *(row[i] for row in rows)] for i, column in enumerate(table.columns)]
    natural = [max(cell_len(line) for cell in cells for line in cell.splitlines() or [""]) for cells in columns]
    word = [_longest(cell.split() for cell in cells) for cells in columns]
    header = [_longest([cells[0].split()]) for cells in columns]
    piece = [_longest(_pieces(cell) for cell in cells) for cells in columns]
    hard = [piece[i] if i in breakable else word[i] if i in whole else header[i] for i in range(len(columns))]
    floor = [hard[i] if i in whole else max(hard[i], min(word[i], FOLD_FLOOR)) for i in range(len(columns))]
    kept = [word[i] if i in whole else floor[i] for i in range(len(columns))]
    room = console.width - _chrome(table)
    return None if sum(natural) <= room else fit_widths(room, [hard, floor, kept, natural])


def fit_widths(room: int, tiers: Sequence[Sequence[int]]) -> list[int] | None:
    """Column widths summing to at most ``room``: each column's width of ``tiers[0]``, then of each next tier.

    Every tier is a width per column, none narrower than in the tier before. A tier that does not fit whole
    is given as far as the room goes, the widest columns held back first, as Rich narrows a table (a cap on
    that tier's widths, the lowest that fits); the tiers after it get nothing. None when ``tiers[0]`` alone
    is wider than ``room``.
    """
    widths = list(tiers[0])
    if sum(widths) > room:
        return None
    for goal in tiers[1:]:
        if sum(goal) <= room:
            widths = list(goal)
            continue
        cap = max(goal)
        while cap > 0 and sum(_capped(widths, goal, cap)) > room:
            cap -= 1
        fitted = _capped(widths, goal, cap)
        for i in [i for i, want in enumerate(goal) if want > fitted[i]][:room - sum(fitted)]:
            fitted[i] += 1  # the cells a lower cap leaves, to the first columns it held back
        return fitted
    return widths


def _capped(widths: Sequence[int], goal: Sequence[int], cap: int) -> list[int]:
    """Each column's ``goal`` width, but none above ``cap`` unless its width already is."""
    return [max(width, min(want, cap)) for width, want in zip(widths, goal, strict=True)]


def _chrome(table: Table) -> int:
    """The cells ``table`` takes beyond its columns' widths: its borders and each column's padding."""
    _, right, _, left = table.padding
    count = len(table.columns)
    borders = ((2 if table.show_edge else 0) + count - 1) if table.box else 0
    return borders + count * (left + right)


def _longest(groups: Iterable[Iterable[str]]) -> int:
    return max((cell_len(word) for words in groups for word in words), default=1)


def _pieces(cell: str) -> list[str]:
    """A cell's words, each cut after its slashes: ``09:00 America/Argentina/Buenos_Aires`` gives ``09:00``,
    ``America/``, ``Argentina/`` and ``Buenos_Aires``."""
    return [piece for word in cell.split() for piece in re.findall(r"[^/]+/?|/", word)]


def _break(cell: str, width: int) -> str:
    """``cell`` with each word wider than ``width`` broken after slashes onto lines of at most ``width``."""
    lines = []
    for line in cell.splitlines():
        words = []
        for word in line.split(" "):
            if cell_len(word) <= width:
                words.append(word)
                continue
            parts = [""]
            for piece in re.findall(r"[^/]+/?|/", word):
                if parts[-1] and cell_len(parts[-1] + piece) > width:
                    parts.append("")
                parts[-1] += piece
            words.append("\n".join(parts))
        lines.append(" ".join(words))
    return "\n".join(lines)
