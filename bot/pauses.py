"""Why a channel or a member that is on gets nothing for now: the ``paused`` column of ``channels`` and ``members``.

A pause comes from the chat platform, never from a person: the bot was removed from the target's
workspace (a Discord server kicked it, or was deleted), or the member left it. While paused, a channel
gets no digest and no journal club poll or close, a member no DM digest, and nobody paused is named
under a digest paper or by ``who``. Nothing else changes: the settings, interests and 👍/👎 stay, so
the bot's return to the server (or the member's) resumes them as they were (:mod:`bot.commands.presence`).

A module of its own, importing nothing: the command layer, delivery, the service and the adapters read it.
"""

#: The bot is no longer in the target's workspace (Discord ``GUILD_DELETE``, or a DM Discord refused while
#: the bot shares no server with the member any more); lifted when the bot is back in that workspace.
BOT_REMOVED = "bot removed"
#: The member left the workspace (Discord ``GUILD_MEMBER_REMOVE``, or a refused DM to a member Discord no
#: longer knows in that server); lifted by their next command or 👍/👎 there.
LEFT = "left"

#: Between a delivery's error and why its target was paused (``"unreachable: … · paused: left the server"``);
#: the DM notice tells nobody of such a day (:mod:`bot.commands.dm_notice`): there was nothing they could fix.
PAUSED_MARK = " · paused: "

_WHY = {
    BOT_REMOVED: "the bot was removed from the server",
    LEFT: "left the server",
}


def paused_why(reason: str) -> str:
    """The words for a stored pause ``reason`` (``"the bot was removed from the server"``); an unknown one as stored."""
    return _WHY.get(reason, reason)
