"""What an inbox folder holds: the digest files to take, with the outcome folders' names kept free.

The inbox job (:func:`bot.service.ingest_jobs.run_inbox`) moves each file it took into one of the
:data:`OUTCOME_FOLDERS`. A dropped *file* of one of those names would stop every move (the folder
cannot be made beside it): it is renamed aside first (``done`` -> ``done_1``, the first free
number) and then taken like any file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["OUTCOME_FOLDERS", "PARTIAL_SUFFIXES", "free_outcome_names", "inbox_files"]

#: Where a taken file goes: ``done/`` once its digest is stored, ``failed/`` (with ``<name>.error.txt``) otherwise.
OUTCOME_FOLDERS = ("done", "failed")

#: Files still being written are expected to carry one of these suffixes (write, then rename).
PARTIAL_SUFFIXES = {".part", ".tmp", ".crdownload", ".partial"}


def _rename_aside(path: Path) -> Path | None:
    """Give ``path`` the first free name ``<name>_<n>`` beside it; None when another run moved it first.

    Never overwrites: the new name is made as a hard link, which fails when the name is taken, and the
    old one then removed. Where the filesystem has no hard links, a rename to a name checked free.
    """
    n = 1
    while True:
        target = path.with_name(f"{path.name}_{n}")
        n += 1
        try:
            os.link(path, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            if target.exists() or target.is_symlink():
                continue
            try:
                path.rename(target)
            except FileNotFoundError:
                return None
            return target
        try:
            path.unlink()
        except FileNotFoundError:  # another run renamed it meanwhile: its copy is kept, ours dropped
            target.unlink()
            return None
        return target


def free_outcome_names(folder: Path) -> list[tuple[Path, str]]:
    """Rename aside each file (or link) in ``folder`` named like an outcome folder: (its old path, the warning) each.

    Raises
    ------
    OSError
        When such a file is there but cannot be renamed (a read-only inbox).
    """
    warnings = []
    for name in OUTCOME_FOLDERS:
        path = folder / name
        if (path.is_symlink() or path.exists()) and not path.is_dir():
            moved = _rename_aside(path)
            if moved is not None:
                warnings.append((path, f"{path}: named like the inbox's {name}/ folder; renamed {moved.name}"))
    return warnings


def inbox_files(folder: Path) -> list[Path]:
    """Files waiting in an inbox: regular, not hidden, not partial downloads, sorted by name (changing nothing;
    :func:`free_outcome_names` first frees the outcome folders' names)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in PARTIAL_SUFFIXES
    )
