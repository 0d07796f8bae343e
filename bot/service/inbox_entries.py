"""What an inbox folder holds: the digest files to take, and every other entry said out loud.

The inbox job (:func:`bot.service.ingest_jobs.run_inbox`) moves each file it took into one of the
:data:`OUTCOME_FOLDERS`. A dropped *file* of one of those names would stop every move (the folder
cannot be made beside it): it is renamed aside first (``done`` -> ``done_1``, the first free
number) and then taken like any file. Folders, symbolic links to nothing and other entries that
are not regular files are skipped with a warning naming them; hidden entries and partial
downloads are skipped silently, as before.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["OUTCOME_FOLDERS", "PARTIAL_SUFFIXES", "InboxEntries", "free_outcome_names", "inbox_entries", "inbox_files"]

#: Where a taken file goes: ``done/`` once its digest is stored, ``failed/`` (with ``<name>.error.txt``) otherwise.
OUTCOME_FOLDERS = ("done", "failed")

#: Files still being written are expected to carry one of these suffixes (write, then rename).
PARTIAL_SUFFIXES = {".part", ".tmp", ".crdownload", ".partial"}


@dataclass
class InboxEntries:
    """One look at an inbox: ``files`` to take (sorted by name) and ``skipped``, each entry with its warning."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (entry, "<path>: ...; skipped")


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


def _not_taken(path: Path) -> str | None:
    """Why the entry ``path`` is not a file to take (a warning), or None when it is one."""
    if path.is_file():
        return None
    if path.is_symlink() and not path.exists():
        return f"{path}: a symbolic link to nothing ({os.readlink(path)}); skipped"
    if path.is_dir():
        return f"{path}: a folder; skipped (folders in the inbox are not searched)"
    return f"{path}: not a regular file; skipped"


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


def inbox_entries(folder: Path) -> InboxEntries:
    """Look at the inbox ``folder`` (changing nothing; :func:`free_outcome_names` first frees the outcome names).

    Returns
    -------
    InboxEntries
        The regular files (symbolic links to files too), not hidden, not partial downloads, sorted by
        name; a warning for each other entry skipped (folders other than ``done/`` and ``failed/``,
        links to nothing, devices), in name order. Empty when the folder does not exist.

    Raises
    ------
    OSError
        When the folder cannot be listed.
    """
    found = InboxEntries()
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() in PARTIAL_SUFFIXES:
            continue
        if path.name in OUTCOME_FOLDERS and path.is_dir():
            continue
        problem = _not_taken(path)
        if problem is None:
            found.files.append(path)
        else:
            found.skipped.append((path, problem))
    return found


def inbox_files(folder: Path) -> list[Path]:
    """Files waiting in an inbox: regular, not hidden, not partial downloads, sorted by name (:func:`inbox_entries`)."""
    return inbox_entries(folder).files
