"""The Discord adapter (discord.py 2.x): ``/papers`` app commands, digest embeds, 👍/👎 reactions.

Only translation lives here; every action is a :class:`bot.commands.Commands` call.

- :mod:`bot.discord.client`: :class:`PaperBot`, reactions and ``setup_hook``.
- :mod:`bot.discord.cog`: the ``/papers`` command group.
- :mod:`bot.discord.answers`: a reply sent as an interaction's answer, private or shared with the channel.
- :mod:`bot.discord.embeds`: rendering within Discord's limits.
- :mod:`bot.discord.rating`, :mod:`bot.discord.onboarding`: onboarding DMs, their buttons and presses.
- :mod:`bot.discord.timely`: deferring an interaction whose work outlasts Discord's 3 seconds.
- :mod:`bot.discord.usage`: the usage as the app commands, short after a mistake.
- :mod:`bot.discord.poster`: :class:`DiscordPoster` for channel digests and DM picks.
- :mod:`bot.discord.runtime`: :func:`create_runtime` for ``paperbot run``.
"""

from bot.discord.client import PaperBot, reaction_value
from bot.discord.poster import DiscordPoster
from bot.discord.runtime import DiscordRuntime, create_runtime

__all__ = ["PaperBot", "DiscordPoster", "DiscordRuntime", "create_runtime", "reaction_value"]
