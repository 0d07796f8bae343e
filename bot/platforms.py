"""Platform names: the command line's own chat platform, local users and channels (platform ``cli``,
workspace ``local``), and Discord's (whose app commands the command layer spells in its hints).

A module of its own, importing nothing, so that ``paperbot --help`` reads it
without loading the command layer.
"""

#: The platform and workspace of the users and channels the ``paperbot`` command line manages.
CLI_PLATFORM, CLI_WORKSPACE = "cli", "local"

#: The platform of Discord users and channels (``Caller.platform``, the stored rows' ``platform``).
DISCORD_PLATFORM = "discord"

#: The chat platforms whose members and channels the command line can remove (``--platform``).
CHAT_PLATFORMS = ("slack", DISCORD_PLATFORM)
