"""Inputs to ingest: files, folders of digest files and URLs, expanded and read as bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from recommender.sources.records import ParseError

DIGEST_SUFFIXES = {".txt", ".json", ".xml", ".atom", ".rss", ""}


@dataclass(frozen=True)
class Skipped:
    """Something in a folder that is not ingested, and why."""

    source: str
    reason: str


@dataclass
class Inputs:
    """What :func:`expand_inputs` found: sources to read, things left out, folders with no digest."""

    sources: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    empty_folders: list[str] = field(default_factory=list)


def expand_inputs(inputs: Iterable[str | Path]) -> Inputs:
    """Expand folders into their digest files; keep files and URLs as given.

    A folder contributes its files with a digest suffix (``.txt``, ``.json``,
    ``.xml``, ``.atom``, ``.rss`` or none), sorted by name. Hidden files,
    subfolders and other file types are returned as :class:`Skipped`, with the
    reason, so callers can say what they left out.
    """
    found = Inputs()
    out, skipped = found.sources, found.skipped
    for item in inputs:
        text = str(item)
        if text.startswith(("http://", "https://")):
            out.append(text)
            continue
        path = Path(text)
        if not path.is_dir():
            out.append(text)
            continue
        before = len(out)
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir():
                skipped.append(Skipped(str(child), "a folder (folders are not searched recursively)"))
            elif child.suffix.lower() not in DIGEST_SUFFIXES:
                skipped.append(Skipped(str(child), f"not a digest file type ({child.suffix})"))
            else:
                out.append(str(child))
        if len(out) == before:
            found.empty_folders.append(text)
    return found


def read_input(source: str, fetch: Callable[[str], bytes] | None = None) -> bytes:
    """Read a file's bytes, or fetch a URL with ``fetch`` (default: :func:`recommender.fetch.fetch_bytes`).

    Raises
    ------
    ParseError
        When the file cannot be read or the URL cannot be fetched.
    """
    if source.startswith(("http://", "https://")):
        from recommender.fetch import fetch_bytes

        get = fetch or fetch_bytes
        try:
            return get(source)
        except Exception as exc:  # network errors of any kind become one clear message
            raise ParseError(f"could not fetch: {exc}", source=source) from exc
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", source=source) from exc
