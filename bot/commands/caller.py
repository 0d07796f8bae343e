"""Who is asking: the :class:`Caller` every adapter builds from its platform's request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.platforms import CLI_PLATFORM, DISCORD_PLATFORM

#: A 👍 and a 👎, as the command layer stores them (``Feedback.value``).
POSITIVE, NEGATIVE = 1, -1

#: The workspace of a caller whose platform does not say it: a Discord DM belongs to no server (guild).
NO_WORKSPACE = "dm"


#: How the command line spells the ``/papers`` commands a reply points to (``{user}``, ``{channel}``: the caller's).
CLI_COMMANDS = {
    "interests add": 'paperbot users add {user} --interests "{arg}"',
    "interests list": "paperbot users list",
    "channel setup": "paperbot channels add {channel}",
    "mentions on": "paperbot channels mentions {channel} on",
    "mentions me on": "paperbot users mentions <person> on",
    "import": "paperbot import {user} <file>",
    "search": 'paperbot search "{arg}"',
    "start": "paperbot start {user}",
    "club": "paperbot papers {user} --channel {channel} club {arg}",
}

#: How Discord spells the ``/papers`` commands whose app commands differ from the typed line (``{arg}``: the arguments).
DISCORD_COMMANDS = {
    "club": "/papers club set {arg}",
}

_ACTOR = re.compile(r"^(?P<platform>[^:\s]+):(?P<user_ref>\S+)(?: \((?P<name>.*)\))?$", re.DOTALL)


@dataclass(frozen=True)
class Caller:
    """Who is asking, and where.

    Attributes
    ----------
    platform : str
        ``"slack"``, ``"discord"``, ``"console"`` or ``"cli"``.
    workspace : str
        The Slack workspace (team id) or Discord guild id; :data:`NO_WORKSPACE` in a Discord DM.
    user_ref : str
        The platform's user id.
    display_name : str, optional
    channel_ref : str, optional
        The channel the command was typed in (``None`` in a DM).
    channel_name : str, optional
    """

    platform: str
    workspace: str
    user_ref: str
    display_name: str | None = None
    channel_ref: str | None = None
    channel_name: str | None = None

    def command(self, name: str, arg: str = "") -> str:
        """The command ``/papers <name> <arg>`` as `` `code` `` in the caller's front-end.

        A chat gets `` `/papers interests add <topic>` ``; the command line (:data:`CLI_PLATFORM`)
        the ``paperbot`` command that does the same (:data:`CLI_COMMANDS`), e.g.
        `` `paperbot users add ada --interests "<topic>"` ``; Discord its app command where that differs
        from the typed line (:data:`DISCORD_COMMANDS`: `` `/papers club set <weekday> <HH:MM>` ``).
        """
        if self.platform == CLI_PLATFORM and name in CLI_COMMANDS:
            spelled = CLI_COMMANDS[name].format(user=self.user_ref, channel=self.channel_ref or "<channel>", arg=arg or "…")
            return f"`{spelled}`"
        if self.platform == DISCORD_PLATFORM and name in DISCORD_COMMANDS:
            return f"`{DISCORD_COMMANDS[name].format(arg=arg).rstrip()}`"
        return f"`/papers {name}{' ' + arg if arg else ''}`"

    @property
    def actor(self) -> str:
        """``"slack:U123 (ada)"``: how a channel change names who made it (:func:`actor_user_ref` reads it back)."""
        return f"{self.platform}:{self.user_ref}" + (f" ({self.display_name})" if self.display_name else "")


def actor_user_ref(actor: str, platform: str) -> str | None:
    """The user id in an :attr:`Caller.actor` string when it is of ``platform``, else None."""
    match = _ACTOR.match(actor)
    if match is None or match.group("platform") != platform:
        return None
    return match.group("user_ref")


def actor_name(actor: str) -> str:
    """The name an :attr:`Caller.actor` string gives (``"ada"`` in ``"slack:U123 (ada)"``); its user id
    when it gives none, and the string itself when it names no person (``"slack"``: a rename by the platform)."""
    match = _ACTOR.match(actor)
    if match is None:
        return actor
    return match.group("name") or match.group("user_ref")
