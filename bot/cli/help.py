"""``--help`` as written: the command classes every ``paperbot`` command and group is made with.

typer (0.29) puts a type after every parameter in its help, ``--json <bool>`` beside a flag, which takes no
value, and ``PERSON <str>`` beside an argument whose name already says what it takes; and its usage line puts
braces around a required argument, ``paperbot picks [OPTIONS] {PERSON}``. Typer builds the parameters itself,
with no say in their class, so :class:`HelpCommand` and :class:`HelpGroup` give theirs (and the ``--help``
option click adds last) the classes below, which leave those out: ``--json``, ``PERSON`` (``[PERSON]`` when
optional), ``FILE|DIR|URL...`` for one or more; an option's choices as ``bibtex|ris|csl-json``. Options that
take a value keep their metavar (``--time HH:MM``); the rendering, panels and wrapping stay typer's.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

__all__ = ["HelpCommand", "HelpGroup"]


class _NamedArgument(TyperArgument):
    """An argument shown by its metavar alone: no type beside it, no braces around it in the usage line."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None if self.metavar else super().display_type_rich(ctx)

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        """The metavar as written, marked optional (``[TEXT]``) and repeatable (``TEXT...``) unless it says so itself
        (``[TEXT]…``)."""
        name = self.metavar
        if not name:
            return super().get_usage_pieces(ctx)
        if not self.required and not name.startswith("["):
            name = f"[{name}]"
        if self.nargs != 1 and not name.endswith(("...", "…")):
            name += "..."
        return [name]


class _Option(TyperOption):
    """An option whose help shows no type when it is a flag (it takes no value), and a value's choices without
    typer's angle brackets, ``bibtex|ris|csl-json``."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag and not self.metavar:
            return None
        shown = super().display_type_rich(ctx)
        if not self.metavar and shown and shown.startswith("<") and shown.endswith(">"):
            return shown[1:-1]
        return shown


def _as_written(params: list[Any]) -> None:
    """Give typer's own parameters in ``params`` the classes above (they add no state, only how help shows them)."""
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = _NamedArgument
        elif type(param) is TyperOption:
            param.__class__ = _Option


class _AsWritten:
    """What :class:`HelpCommand` and :class:`HelpGroup` add to typer's classes: their parameters as written."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _as_written(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        _as_written([option])
        return option


class HelpCommand(_AsWritten, TyperCommand):
    """A ``paperbot`` command (``app.command(cls=HelpCommand)``) whose help has no ``<bool>`` or ``{PERSON}``."""


class HelpGroup(_AsWritten, TyperGroup):
    """A ``paperbot`` command group (``typer.Typer(cls=HelpGroup)``): its own options as :class:`HelpCommand`'s."""
