"""The usage on Discord, built from the cog's app commands as Discord offers them.

``/papers help`` lists every command; a mistake in one command lists that command's group
(``/papers club set weekday time`` …) and a pointer to help. A mistake tied to no command
Discord has (a failed reply asking for the whole usage, or naming a word that is no command)
gets one line: the closest commands, if any, and the pointer to help, not the ~1,600
characters of the whole list. How close a word must be, and the line's wording, are the text
commands' own (:func:`bot.commands.reply.closest_names`, :func:`bot.commands.reply.did_you_mean`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord
from discord import app_commands

from bot.commands import Reply
from bot.commands.reply import CLOSEST, closest_names, did_you_mean

AppCommands = Sequence[app_commands.Command | app_commands.Group]

HEADING = "**Usage:** `/papers <command>`"


def leaves(nodes: Iterable[app_commands.Command | app_commands.Group]) -> Iterable[app_commands.Command]:
    """The commands under ``nodes``, groups walked, in definition order."""
    for node in nodes:
        if isinstance(node, app_commands.Group):
            yield from leaves(node.commands)
        else:
            yield node


def spelled(command: app_commands.Command) -> str:
    """``/papers club set weekday time``: the command with its options, optional ones in brackets."""
    options = "".join(f" {p.name}" if p.required else f" [{p.name}]" for p in command.parameters)
    return f"/papers {command.qualified_name}{options}"


def usage_lines(commands: AppCommands, which: str | None = None) -> list[str]:
    """One line per app command, ``• `/papers name option [optional]`: description``.

    Every command when ``which`` is None; else those under ``which`` (a first word, e.g. ``"club"``)
    and a pointer to help, or none when it names no command.
    """
    lines = [f"• `{spelled(c)}`: {c.description}" for c in leaves(commands)
             if which is None or c.qualified_name.split()[0] == which.lower()]
    if which is not None and lines:
        return [*lines, "• `/papers help`: every command"]
    return lines


def closest(commands: AppCommands, word: str) -> list[app_commands.Command]:
    """The commands whose name, or first word, is closest to ``word`` (at most :data:`CLOSEST`)."""
    by_name: dict[str, list[app_commands.Command]] = {}
    for command in leaves(commands):
        names = command.qualified_name.split()
        for name in {names[0], " ".join(names)}:
            by_name.setdefault(name, []).append(command)
    found: list[app_commands.Command] = []
    for name in closest_names(word, list(by_name)):
        found += [c for c in by_name[name] if c not in found]
    return found[:CLOSEST]


def pointer(commands: AppCommands, word: str | None) -> str:
    """One line: ``Did you mean `/papers search query [share]`?`` when ``word`` is close to a command, then help
    (worded as the text commands' :func:`bot.commands.reply.pointer`)."""
    near = closest(commands, word) if word else []
    return did_you_mean([f"`{spelled(c)}`" for c in near])


def usage_text(reply: Reply, commands: AppCommands) -> str:
    """What follows a reply asking for the usage (``reply.usage`` set): the lines of its command, all of them
    for help, or the one-line :func:`pointer` for a mistake tied to no command."""
    which = reply.usage if isinstance(reply.usage, str) else None
    lines = usage_lines(commands, which) if which is not None or reply.ok else []
    if lines:
        return "\n".join((HEADING, *lines))
    return pointer(commands, which)


def command_word(interaction: discord.Interaction) -> str | None:
    """The first word after ``/papers`` of the interaction's command (``"club"`` for ``/papers club set``), whose
    usage a mistake in it shows; None outside an app command."""
    names = interaction.command.qualified_name.split() if interaction.command is not None else []
    return names[1] if len(names) > 1 else None
