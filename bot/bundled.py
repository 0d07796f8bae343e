"""Files paperbot ships: the default settings, the demo team and the sample digests.

In a checkout they are the repository's own ``config/`` and ``samples/digests/``.
An installed wheel carries the same files as package data (``bot.bundled_config``
and ``bot.bundled_samples``, mapped onto those folders in ``pyproject.toml``),
read through :mod:`importlib.resources`, so ``pip install paperbot`` then
``paperbot demo`` works outside a checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["REPO_ROOT", "bundled_config", "bundled_samples"]

#: The repository root when running from a checkout (or an editable install).
REPO_ROOT = Path(__file__).resolve().parent.parent


def _folder(checkout: Path, package_dir: str) -> Path:
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("bot"))) / package_dir


def bundled_config() -> Path:
    """The folder holding ``paperbot.toml``, ``demo.toml`` and the Slack manifest."""
    return _folder(REPO_ROOT / "config", "bundled_config")


def bundled_samples() -> Path:
    """The folder holding the bundled sample digests (``digests/*.txt``)."""
    return _folder(REPO_ROOT / "samples", "bundled_samples")
