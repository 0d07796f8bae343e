"""Blocks of a ranking computed side by side.

The dense work of ranking is cut into blocks of rows (targets, or candidates
for the corpus neighbourhood) so that memory stays at a few dense blocks.
scipy's sparse products and numpy's selections and sorts let go of the GIL,
so the blocks run in threads, one per core this process may run on.
Every block writes its own rows: the results do not depend on the threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["BLOCK_THREADS", "map_blocks"]

#: Blocks computed at once: the cores this process may run on, at most 4 (each holds its dense block).
BLOCK_THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

_T = TypeVar("_T")
_R = TypeVar("_R")


def map_blocks(fn: Callable[[_T], _R], blocks: Sequence[_T], threads: int | None = None) -> list[_R]:
    """``[fn(b) for b in blocks]``, up to ``threads`` (default :data:`BLOCK_THREADS`) blocks at once.

    Results come in the order of ``blocks``; an exception in any block is raised here.
    """
    n = min(BLOCK_THREADS if threads is None else threads, len(blocks))
    if n <= 1:
        return [fn(b) for b in blocks]
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, blocks))
