"""The ``paperbot`` command line (Typer): the app in :mod:`bot.cli.main`, one module per command group."""

from bot.cli.main import app

__all__ = ["app"]
