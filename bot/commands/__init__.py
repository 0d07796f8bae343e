"""The platform-neutral command layer: :class:`Caller` in, :class:`Reply` out.

- :mod:`bot.commands.caller`: who is asking (:class:`Caller`).
- :mod:`bot.commands.parse`: ``/papers`` lines into calls; :class:`UsageError`.
- :mod:`bot.commands.reply`: the markup-neutral :class:`Reply` and the usage.
- :mod:`bot.commands.rows`: members, channels, papers and posted messages in the store.
- :mod:`bot.commands.handlers`: :class:`Commands`, every action, one transaction each.
- :mod:`bot.commands.feedback`, :mod:`bot.commands.library`, :mod:`bot.commands.mentions`: features too
  large for ``handlers`` (👍/👎 by command, button and reaction; library import; ``who`` and the mentions settings).
- :mod:`bot.commands.presence`: the bot removed from a workspace or back, a member who left (:mod:`bot.pauses`).
"""

from bot.commands.caller import NEGATIVE, POSITIVE, Caller, actor_user_ref
from bot.commands.handlers import Commands, usage_reply
from bot.commands.parse import UsageError, parse, parse_time, parse_timezone, timezone_choices
from bot.commands.reply import USAGE, USAGE_COMMAND, Reply, reply_text

__all__ = [
    "NEGATIVE", "POSITIVE", "USAGE", "USAGE_COMMAND", "Caller", "Commands", "Reply", "UsageError",
    "actor_user_ref", "parse", "parse_time", "parse_timezone", "reply_text", "timezone_choices", "usage_reply",
]
