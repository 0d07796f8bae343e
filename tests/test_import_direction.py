"""Imports go one way: bot/ uses recommender/, never the reverse, and recommender/ knows no chat platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RECOMMENDER = Path(__file__).resolve().parent.parent / "recommender"
FORBIDDEN = ("bot", "slack_bolt", "slack_sdk", "discord")


def imported_modules(source: str) -> list[str]:
    """Absolute module names imported anywhere in ``source`` (module level or inside functions)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def forbidden(names: list[str]) -> list[str]:
    return [n for n in names if n.split(".")[0] in FORBIDDEN]


def test_the_check_sees_every_import_form():
    source = "import bot.cli\nfrom slack_sdk import WebClient\ndef f():\n    import discord\nfrom . import ranking\nimport numpy"
    assert forbidden(imported_modules(source)) == ["bot.cli", "slack_sdk", "discord"]


def recommender_files():
    for path in sorted(RECOMMENDER.rglob("*.py")):
        rel = str(path.relative_to(RECOMMENDER))
        yield pytest.param(path, id=rel)


@pytest.mark.parametrize("path", list(recommender_files()))
def test_recommender_imports_no_chat_or_bot_module(path):
    assert forbidden(imported_modules(path.read_text(encoding="utf-8"))) == []
