"""Time ``paperbot import`` of a 5,000-entry BibTeX library into a fresh SQLite store (bar: under 10 s).

Run: ``PYTHONPATH=. python benchmarks/import_speed.py [N]``. Prints entries, seconds and what was stored.
Half the entries carry an arXiv id, a quarter a DOI, the rest a title only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bot.commands import Caller, Commands
from bot.settings import Settings
from recommender.store import Store


def library(n: int) -> str:
    """A synthetic BibTeX export of ``n`` entries."""
    out = []
    for i in range(n):
        ident = (f"  eprint = {{{2000 + i // 100000}.{i % 100000:05d}}},\n" if i % 2 == 0
                 else f"  doi = {{10.5555/lib.{i}}},\n" if i % 4 == 1 else "")
        out.append(f"@article{{k{i},\n  title = {{Synthetic paper {i} on {{topic}} number {i % 97}}},\n"
                   f"  author = {{Doe, Jane and Roe, Rick}},\n{ident}  year = {{{2000 + i % 25}}},\n"
                   f"  timestamp = {{2024-01-{1 + i % 28:02d}}}\n}}\n")
    return "\n".join(out)


def main(n: int = 5000) -> None:
    data = library(n).encode()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        cmds = Commands(store, Settings(data_dir=Path(tmp)))
        start = time.perf_counter()
        reply = cmds.import_library(Caller("cli", "local", "bench"), data, "bench.bib")
        seconds = time.perf_counter() - start
        store.dispose()
    print(reply.text)
    print(f"entries={n} bytes={len(data)} seconds={seconds:.2f} bar=10.0 {'PASS' if seconds < 10 else 'FAIL'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
