"""What a command answers: a markup-neutral :class:`Reply` and the usage every adapter shows.

A reply's text is plain text with two marks that every chat renders alike or
can translate: `` `code` `` (something to type: a command, a value) and lines
starting with ``• `` (list items). Headings, mentions, links and paper layout
are the adapters' business (Block Kit, Discord embeds, the console): a reply
carries the papers as :class:`~recommender.pick.Pick` values, and ``usage``
asks for the command list below the text. A third mark is a person the reply
names (who changed a channel): :func:`person`, listed in ``Reply.people``, which
:func:`reply_text` renders with the adapter's mention (``<@U123>`` on Slack,
``<@id>`` on Discord) or, by default, as the name paperbot knows them by (the
console and the command line); the same text typed by someone is no person.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.digest import Mention
from recommender.pick import Pick

if TYPE_CHECKING:
    from bot.commands.dm_notice import DmNotice

#: Limits on what people type, stated in the usage (characters / count).
MAX_INTEREST_CHARS = 200
MAX_INTERESTS = 20
MAX_TOPIC_CHARS = 300
MAX_DIGEST_SIZE = 20

#: The last words of a short usage: after a mistake tied to no command, in place of the whole list.
HELP_POINTER = "`/papers help` lists every command."
#: Commands a pointer names at most, and how close a typed word must be to one (difflib's ratio).
CLOSEST = 3
CUTOFF = 0.6

#: The command the usage is about.
USAGE_COMMAND = "/papers <command>"
#: One line per command group, neutral marks only.
USAGE = (
    "• `search <query>`: find stored papers",
    "• `picks [n]`: your picks, now (n papers; default: your digest size)",
    "• `start`: rate a few recent papers (👍/👎) so your picks learn what you read; again any time",
    "• `interests add <text>` (several: separate them with `;`) · `interests remove <text>` · `interests list`"
    f" (at most {MAX_INTERESTS} interests of {MAX_INTEREST_CHARS} characters)",
    "• `subscribe [HH:MM] [timezone]`: your own picks by DM every day · `unsubscribe`",
    "• `channel setup [HH:MM] [timezone] [size] [topic…]`: a daily digest in this channel"
    f" (size 1-{MAX_DIGEST_SIZE}, topic at most {MAX_TOPIC_CHARS} characters;"
    " a topic holding a `/`, a time or a number: `channel setup [HH:MM] topic: <topic>`)",
    "• `channel off` · `channel status`",
    "• `club <weekday> <HH:MM>`: a weekly journal club here, the week's 3 most 👍'd papers put to a vote"
    " · `club vote <n>` · `club off` · `club status`",
    "• `like <paper>` · `dislike <paper>`: by arXiv id, DOI, link or the #id shown · `unrate <paper>`: take it back",
    "• `who <paper>`: the teammates a paper fits best, with why (in a channel, privately)",
    "• `mentions on` · `mentions off`: this channel's digest names who each paper fits best"
    " · `mentions me on|off`: you may be named (at most once a day)",
    "• `import`: your library (BibTeX, RIS, Zotero CSL-JSON) as 👍",
    "• `help`",
)


@dataclass
class Reply:
    """What to answer, independent of the chat platform.

    Attributes
    ----------
    text : str
        Plain text; `` `code` `` spans and ``• `` list lines are the only marks.
    papers : list of Pick
        Papers to show below the text, best first.
    usage : bool or str
        Show the command list (:data:`USAGE`) below the text: all of it (True), or the lines of
        one command, given by its first word (``"subscribe"``; :func:`usage_lines`). A failed reply
        whose usage names no command (a mistyped word) gets one line instead, the closest commands
        and ``/papers help`` (:func:`pointer`).
    ephemeral : bool
        Only the caller sees it (the default); False posts it for the channel.
    ok : bool
        False when the command failed or did not parse (adapters never post those for everyone).
    dm : bool
        Send it to the caller's direct messages rather than answering where they asked.
    rating : bool
        The papers are to rate for onboarding (:mod:`bot.commands.onboarding`): each gets
        onboarding 👍/👎 buttons, and the message a button that skips the rest.
    people : dict of str to Mention
        The people the text names with :func:`person` marks, by user id.
    notice : DmNotice or None
        Something the caller must hear privately whatever the answer (their daily picks could not
        be sent by DM, :mod:`bot.commands.dm_notice`): adapters send ``notice.text`` as a private
        message of its own, after the answer, then call ``notice.mark_told()``.
    """

    text: str
    papers: list[Pick] = field(default_factory=list)
    usage: bool | str = False
    ephemeral: bool = True
    ok: bool = True
    dm: bool = False
    rating: bool = False
    people: dict[str, Mention] = field(default_factory=dict)
    notice: DmNotice | None = field(default=None, compare=False)


def person(mention: Mention) -> str:
    """The mark of a person in a reply's text (``<@U123>``); the reply lists them in ``people``."""
    return f"<@{mention.user_ref}>"


_PERSON = re.compile(r"<@([^<>\s]+)>")


def reply_text(reply: Reply, heading: Callable[[str], str], *, escape: Callable[[str], str] | None = None,
               mention: Callable[[Mention], str] | None = None) -> str:
    """The reply's text followed, when asked, by the usage under ``heading("Usage:")``.

    ``heading`` is the adapter's bold (``*…*`` in Slack mrkdwn, ``**…**`` in Discord). A failed
    reply whose usage names no command (a mistyped one: ``reply.usage == "serch"``) gets the
    one-line :func:`pointer` instead of every command. The :func:`person` marks of ``reply.people``
    become ``mention(person)`` (by default their name), and everything else goes through
    ``escape`` (the adapter's, for the text it then sends as is; none by default).
    """
    escape = escape or (lambda text: text)
    text = _with_people(reply, escape, mention or (lambda m: m.name))
    if not reply.usage:
        return text
    command = reply.usage if isinstance(reply.usage, str) else None
    lines = usage_lines(command) if command is not None or reply.ok else []
    usage = escape("\n".join((f"{heading('Usage:')} `{USAGE_COMMAND}`", *lines)) if lines else pointer(command))
    return f"{text}\n\n{usage}" if text else usage


def _with_people(reply: Reply, escape: Callable[[str], str], mention: Callable[[Mention], str]) -> str:
    """``reply.text`` escaped, its marks of ``reply.people`` rendered (a mark of anyone else stays text)."""
    if not reply.people:
        return escape(reply.text)
    pieces, at = [], 0
    for match in _PERSON.finditer(reply.text):
        named = reply.people.get(match.group(1))
        if named is not None:
            pieces += [escape(reply.text[at:match.start()]), mention(named)]
            at = match.end()
    return "".join([*pieces, escape(reply.text[at:])])


_COMMAND_WORDS = re.compile(r"`([a-z]+)")
_COMMANDS = re.compile(r"`([a-z][^`]*)`")


def usage_lines(command: str | None = None) -> list[str]:
    """The lines of :data:`USAGE` about ``command`` (a first word, any case) and a pointer to ``help``.

    Every line when ``command`` is None; none when it names no command (a mistyped one gets a
    :func:`pointer`, not the whole list).
    """
    if command is None:
        return list(USAGE)
    mine = [line for line in USAGE if command.lower() in _COMMAND_WORDS.findall(line) and line != "• `help`"]
    return [*mine, "• `help`: every command"] if mine else []


def usage_commands() -> dict[str, list[str]]:
    """Each command's first word (``"interests"``) and its forms as :data:`USAGE` spells them
    (``["interests add <text>", "interests remove <text>", "interests list"]``), in usage order."""
    found: dict[str, list[str]] = {}
    for line in USAGE:
        for spelled in _COMMANDS.findall(line):
            forms = found.setdefault(spelled.split()[0], [])
            if spelled not in forms:
                forms.append(spelled)
    return found


def closest_names(word: str, names: Sequence[str]) -> list[str]:
    """The ``names`` closest to ``word`` (any case), best first: at most :data:`CLOSEST`, none below :data:`CUTOFF`."""
    return difflib.get_close_matches(word.lower(), list(names), n=CLOSEST, cutoff=CUTOFF)


def did_you_mean(named: Sequence[str]) -> str:
    """One line: ``Did you mean `a` or `b`?`` and :data:`HELP_POINTER`; the pointer alone when ``named`` is empty."""
    if not named:
        return HELP_POINTER
    either = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    return f"Did you mean {either}? {HELP_POINTER}"


def pointer(word: str | None) -> str:
    """The short usage after a mistyped command ``word``: the commands it is closest to (at most
    :data:`CLOSEST` forms, e.g. `` `/papers search <query>` ``) and ``/papers help``, in one line."""
    commands = {name: forms for name, forms in usage_commands().items() if name != "help"}  # the pointer names help
    forms = [f for name in closest_names(word, list(commands)) for f in commands[name]] if word else []
    return did_you_mean([f"`/papers {f}`" for f in forms[:CLOSEST]])
