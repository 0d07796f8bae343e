"""The wheel carries every package and the bundled files the demo needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

from bot.bundled import bundled_config, bundled_samples

REPO = Path(__file__).resolve().parent.parent


def test_every_source_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set(find_packages(str(REPO), include=["bot*", "recommender*"]))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    data_folders = {"bot.bundled_config", "bot.bundled_samples", "bot.bundled_samples.digests",
                    "recommender.store.migrations", "recommender.store.migrations.versions"}
    assert listed - found == data_folders


def test_bundled_files_are_found():
    assert (bundled_config() / "paperbot.toml").is_file() and (bundled_config() / "demo.toml").is_file()
    assert len(list((bundled_samples() / "digests").glob("*.txt"))) == 3
