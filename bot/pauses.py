"""Why a channel or a member that is on gets nothing for now: the ``paused`` column of ``channels`` and ``members``.

A pause comes from the chat platform, never from a person: the bot was removed from the target's
workspace (a Discord server kicked it, or was deleted; a Slack workspace uninstalled the app or revoked its
bot token), or the member left it. While paused, a channel gets no digest and no journal club poll or close,
a member no DM digest, and nobody paused is named under a digest paper or by ``who``. Nothing else changes:
the settings, interests and 👍/👎 stay, so the bot's return to the server (or the member's, or the app's
reinstall) resumes them as they were (:mod:`bot.commands.presence`).

A module of its own, importing nothing: the command layer, delivery, the service and the adapters read it.
"""

#: The bot is no longer in the target's workspace (Discord ``GUILD_DELETE``, or a DM Discord refused while
#: the bot shares no server with the member any more); lifted when the bot is back in that workspace.
BOT_REMOVED = "bot removed"
#: The member left the workspace (Discord ``GUILD_MEMBER_REMOVE``, or a refused DM to a member Discord no
#: longer knows in that server); lifted by their next command or 👍/👎 there.
LEFT = "left"
#: The Slack app is no longer installed in the target's workspace: ``app_uninstalled``, ``tokens_revoked`` naming its
#: bot, or a post refused for a dead token (``account_inactive``, ``token_revoked``, ``invalid_auth``…, an event
#: lost while paperbot was down). A bot token is the workspace's: every channel and member there pauses at once.
#: Lifted when the app is installed there again (a new OAuth installation, a start whose token works, a command).
APP_UNINSTALLED = "app uninstalled"

#: The reasons that mean the bot is not in the workspace, lifted together when it is back (``bot_present``).
BOT_GONE = frozenset({BOT_REMOVED, APP_UNINSTALLED})
#: The reasons that pause a whole workspace, channels and members, not only the target that showed it.
WORKSPACE_WIDE = frozenset({APP_UNINSTALLED})
#: The reasons that pause every channel of the target's workspace too, as the platform's event would (the bot is
#: out of that Discord server: none of its channels can be posted in); its other members are left alone, since
#: one who shares another server with the bot still gets their DMs.
SERVER_WIDE = frozenset({BOT_REMOVED})

#: Between a delivery's error and why its target was paused (``"unreachable: … · paused: left the server"``);
#: the DM notice tells nobody of such a day (:mod:`bot.commands.dm_notice`): there was nothing they could fix.
PAUSED_MARK = " · paused: "

_WHY = {
    BOT_REMOVED: "the bot was removed from the server",
    LEFT: "left the server",
    APP_UNINSTALLED: "the app was uninstalled from the workspace",
}
_BACK = {
    BOT_REMOVED: "the bot is back in the server",
    APP_UNINSTALLED: "the app is installed again",
}


def paused_why(reason: str) -> str:
    """The words for a stored pause ``reason`` (``"the bot was removed from the server"``); an unknown one as stored."""
    return _WHY.get(reason, reason)


def back_why(reason: str) -> str:
    """The words for the lifting of a :data:`BOT_GONE` pause (``"the app is installed again"``)."""
    return _BACK.get(reason, "the bot is back")
