"""Shared helpers for the digest parser tests: where the real samples live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """``$PAPERBOT_SHARED_DIR`` or ``../shared`` next to the repository."""
    env = os.environ.get("PAPERBOT_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def sample(*parts: str) -> Path:
    """Path of a shared sample; skips the test when the shared folder or file is absent."""
    path = shared_dir().joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"shared sample {path} not available (set PAPERBOT_SHARED_DIR)")
    return path


def sample_bytes(*parts: str) -> bytes:
    return sample(*parts).read_bytes()


DIGESTS = ("000_c6f8620f3de3774f.txt", "001_22f0a1ce284fcda3.txt", "002_060d071d17833c35.txt")

# A realistic abstract: parsers tell abstracts from titles by length.
ABSTRACT = (
    "We study how large language models acquire arithmetic skills during pretraining. "
    "Using a suite of controlled experiments on synthetic corpora, we show that models first "
    "memorize frequent operand pairs and only later generalize to unseen numbers. We release "
    "our code and data to support further research."
)


def abstract(n: int) -> str:
    """A distinct realistic abstract per ``n``."""
    return f"Paper {n}. " + ABSTRACT
