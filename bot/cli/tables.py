"""Tables that fit the terminal without cutting a word that must stay whole (a timezone, a workspace id)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table


def keep_words_whole(console: Console, table: Table, texts: dict[int, Iterable[str]]) -> None:
    """When ``table`` is wider than ``console``, fix the width of each column ``i`` in ``texts`` to its longest word.

    ``texts[i]`` holds column ``i``'s cells as plain text; the width is in terminal cells (an emoji is two),
    at least the header's longest word. Rich fits a wide table by narrowing its widest wrapping columns,
    even below their longest word, which it then folds (``Europe/Berl`` over ``in``, ``T0AB`` over ``CD``);
    a column of fixed width is left as it is, and its cells wrap at spaces (``5 at 09:00`` over
    ``Europe/Paris``). A table that fits is left alone: a wide terminal keeps each cell on one line.
    """
    if console.measure(table, options=console.options.update_width(10**6)).maximum <= console.width:
        return  # the table's natural width (measured at the console's width, it is capped there)
    for index, cells in texts.items():
        column = table.columns[index]
        words = [*str(column.header).split(), *(word for cell in cells for word in cell.split())]
        column.width = max(map(cell_len, words), default=1)
