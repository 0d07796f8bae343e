"""``/papers`` command lines into calls: pure parsing, no database.

:func:`parse` turns the text after ``/papers`` into a :class:`Call` (which
:class:`~bot.commands.handlers.Commands` method, with which arguments) or
raises :class:`UsageError` saying what is wrong. Times and timezones go
through :mod:`bot.clock`, the one parser the settings and the scheduler use
too, so ``25:00`` or ``Mars/Phobos`` is refused here as it is in
``paperbot.toml``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot import clock
from bot.club import BALLOT_SIZE
from bot.commands.caller import NEGATIVE, POSITIVE
from bot.commands.reply import MAX_DIGEST_SIZE, usage_lines

if TYPE_CHECKING:
    from bot.commands.dm_notice import DmNotice

__all__ = ["Call", "UsageError", "half_width", "interest_key", "interest_text", "plain_text", "visible", "parse", "parse_time", "parse_timezone", "parse_weekday", "split_interests", "new_interests",
           "timezone_choices"]

HELP_WORDS = ("help", "-h", "--help", "?")
#: Help words that are never text: after any command they ask for its usage (``help`` may be a search word).
HELP_MARKS = ("-h", "--help", "?")
#: Commands whose arguments are free text: a help word there asks for help only when it is all the text.
TEXT_COMMANDS = ("search", "interests")
#: What names a paper in ``like``, ``dislike``, ``unrate`` and ``who`` (:func:`bot.commands.rows.find_paper` reads each).
PAPER_FORMS = "an arXiv id, an arXiv link or the #id shown with a paper (#12)"
#: A number as commands take it: ASCII digits (``str.isdigit`` also takes ``²`` and ``٣``, which ``int`` refuses).
_NUMBER = re.compile(r"[0-9]+")
_SIZE = re.compile(r"[-+]?[0-9]+")
#: The letters of a timezone name (``America/Port-au-Prince``, ``Etc/GMT+5``).
_ZONE_WORD = re.compile(r"[A-Za-z0-9_+\-/]+")
#: The usage's ``topic`` typed as a label before a topic: ``topic:``, ``Topic=``.
_TOPIC_LABEL = re.compile(r"^topic\s*[:=]", re.IGNORECASE)

timezone_choices = clock.timezone_choices


#: Characters of typed input a usage error repeats at most (in a `` `code` `` span), then ``…``.
ECHOED_CHARS = 60
_CODE_SPAN = re.compile(r"`([^`]*)`")  # spans pair left to right


def number(text: str) -> int:
    """The value of ``[-+]?[0-9]+`` text, read as at most ±10**18 (``int`` refuses over 4,300 digits, and no
    count or id is near that)."""
    digits = text.lstrip("+-")
    value = int(digits) if len(digits) <= 18 else 10**18
    return -value if text.startswith("-") else value


def shown(text: str, limit: int = ECHOED_CHARS) -> str:
    """``text`` as an answer repeats it: its first ``limit`` characters and ``…`` when longer."""
    return text if len(text) <= limit else text[:limit] + "…"


class UsageError(ValueError):
    """A command that does not parse; the reply is the usage, privately, and nothing changes.

    The message repeats typed input in `` `code` `` spans; a span longer than :data:`ECHOED_CHARS` is cut
    there (:func:`shown`), so a 10,000-character word is not answered in full.

    ``notice``: the caller's pending :class:`~bot.commands.dm_notice.DmNotice`, set on its way out of
    :class:`~bot.commands.Commands` (:func:`~bot.commands.dm_notice.notifying`); the usage reply carries it.
    """

    notice: DmNotice | None = None

    def __init__(self, message: str = "") -> None:
        super().__init__(_CODE_SPAN.sub(lambda m: f"`{shown(m.group(1))}`", str(message)))


@dataclass(frozen=True)
class Call:
    """One parsed command: the :class:`~bot.commands.handlers.Commands` method and its keyword arguments."""

    method: str
    kwargs: dict[str, Any] = field(default_factory=dict)


#: Full-width ASCII (U+FF01-U+FF5E) and the ideographic space, as an East Asian input method types them, to ASCII.
#: Only these: NFKC would also read ``²`` as ``2``, which no one types for a number.
FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}


def half_width(text: str) -> str:
    """``text`` with its full-width forms read as the ASCII they show (:data:`FULL_WIDTH`: ``ＧＮＮ`` is ``GNN``).

    :func:`parse` reads a whole line so; a value that arrives alone (a Discord option, a CLI argument) is read
    so where it is parsed: times, timezones, weekdays, paper references, search queries.
    """
    return text.translate(FULL_WIDTH)


def _as_usage_error(check, value: str) -> str:
    value = half_width(value)
    try:
        return check(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse_time(value: str) -> str:
    """``"8:05"`` -> ``"08:05"``.

    Raises
    ------
    UsageError
        Not a 24-hour ``HH:MM`` time; the message says what is wrong (``hours go from 00 to 23``).
    """
    return _as_usage_error(clock.parse_time_of_day, value)


def parse_timezone(value: str) -> str:
    """Validate an IANA timezone name (``Europe/Berlin``).

    Raises
    ------
    UsageError
        Not a timezone (or a time given where a timezone was expected).
    """
    return _as_usage_error(clock.parse_timezone, value)


def parse_weekday(value: str) -> int:
    """``"Thursday"``, ``"thu"`` -> ``3`` (0 is Monday).

    Raises
    ------
    UsageError
        Not a weekday's English name or its first three letters (any case).
    """
    return _as_usage_error(clock.parse_weekday, value)


#: Quotes people put around a text (straight, curly, guillemets, backticks); dropped from its ends.
QUOTES = "\"'“”‘’„‚«»‹›`"


def visible(text: str) -> str:
    """``text`` without format characters (Unicode category Cf: zero-width spaces, bidi overrides such as
    U+202E, soft hyphens, byte order marks), which change nothing people see."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


#: What :func:`plain_text` makes of a character by its Unicode category: a control character is a space; a lone
#: surrogate (a byte the terminal's encoding did not decode: Latin-1 "é" in a UTF-8 shell) is U+FFFD, which the
#: database and the sentence model's tokenizer take (it made picks raise TypeError and a topic UnicodeEncodeError).
_CONTROL = {"Cc": " ", "Cs": "\ufffd"}


def plain_text(text: str) -> str:
    """A typed interest or topic as stored: NFKC-normalised (``ﬁ`` -> ``fi``, full-width letters -> ASCII),
    without format characters (:func:`visible`), control characters as spaces (a bell or a terminal's escape
    stored as typed rang or recoloured every terminal that listed it) and undecoded bytes as U+FFFD
    (:data:`_CONTROL`), whitespace collapsed, surrounding quotes
    dropped (``"gnn"``, ``“gnn”``, ``'gnn'`` -> ``gnn``); ``""`` when it holds no letter or digit (``", ,"``)."""
    text = "".join(_CONTROL.get(unicodedata.category(c), c) for c in visible(unicodedata.normalize("NFKC", text)))
    text = " ".join(text.split()).strip(QUOTES + " ")
    return text if any(c.isalnum() for c in text) else ""


def interest_text(text: str) -> str:
    """One interest as stored (:func:`plain_text`); ``""`` when it holds no letter or digit."""
    return plain_text(text)


def interest_key(text: str) -> str:
    """What two interests are compared by: :func:`plain_text` case-folded (``Straße`` and ``STRASSE`` are one)."""
    return plain_text(text).casefold()


def split_interests(text: str) -> list[str]:
    """Interests from one line: separated by ``;`` when it holds one, else by ``,``.

    Pieces that are empty or only punctuation and spaces are dropped (:func:`interest_text`),
    so ``";;, ,"`` gives none.
    """
    sep = ";" if ";" in text else ","
    return [i for i in map(interest_text, text.split(sep)) if i]


def new_interests(current: list[str], texts: list[str]) -> list[str]:
    """The ``texts`` not yet in ``current`` nor before them in ``texts``, compared by :func:`interest_key`
    ("GNNs; gnns" adds one, so do "straße; STRASSE" and "gnn; “gnn”"), in order."""
    held = {interest_key(i) for i in current}
    added = []
    for t in texts:
        if interest_key(t) not in held:
            held.add(interest_key(t))
            added.append(t)
    return added


def parse(text: str) -> Call:
    """The :class:`Call` of one ``/papers`` line (the text after the command).

    ``help``, ``help <command>`` and a command followed by a help word (``channel setup help``,
    ``subscribe --help``; :func:`_asks_help`) are ``Call("help", {"command": …})``: that command's usage.
    Full-width forms are read as ASCII first (:data:`FULL_WIDTH`: ``ＧＮＮ`` is ``GNN``) and format characters
    (zero-width spaces, bidi controls) are dropped (:func:`visible`).

    Raises
    ------
    UsageError
        Unknown command, missing or extra arguments, or an invalid time,
        timezone or size; the message says which.
    """
    # full-width forms first: what a Japanese or Chinese input method types in its full-width mode (ＧＮＮ, ＃２４,
    # ０７：３０) is the ASCII it shows (interests and topics were stored so already; a search, a paper, a time too)
    words = visible(half_width(text)).split()  # a zero-width space is no word, nor part of one
    if not words:
        return Call("help")
    if words[0].lower() in HELP_WORDS:  # help, or `help search`: that command's lines
        named = words[1].lower() if len(words) > 1 else None
        return Call("help", {"command": named} if named and usage_lines(named) else {})
    verb, args = words[0].lower(), words[1:]
    if usage_lines(verb) and _asks_help(verb, args):  # `channel setup help`: channel's lines
        return Call("help", {"command": verb})
    if verb == "search":
        if not args:
            raise UsageError("`search` needs a query, e.g. `/papers search graph neural networks`")
        return Call("search", {"query": " ".join(args)})
    if verb == "import":
        return Call("import_howto")
    if verb == "picks":
        return Call("picks", _picks_count(args))
    if verb in ("unsubscribe", "start"):
        if args:
            raise UsageError(f"`{verb}` takes no arguments")
        return Call(verb)
    if verb == "interests":
        return _interests(args)
    if verb == "subscribe":
        return _subscribe(args)
    if verb == "channel":
        return _channel(args)
    if verb == "who":
        if len(args) != 1:
            raise UsageError(f"`who` takes one paper: {PAPER_FORMS}")
        return Call("who", {"paper_ref": args[0]})
    if verb == "mentions":
        return _mentions(args)
    if verb == "club":
        return _club(args)
    if verb in ("like", "dislike", "unrate"):
        if len(args) != 1:
            raise UsageError(f"`{verb}` takes one paper: {PAPER_FORMS}")
        if verb == "unrate":
            return Call("unrate", {"paper_ref": args[0]})
        return Call("rate", {"paper_ref": args[0], "value": POSITIVE if verb == "like" else NEGATIVE})
    raise UsageError(f"unknown command `{words[0]}`")


def _asks_help(verb: str, args: list[str]) -> bool:
    """Whether ``<verb> … help`` asks for the command's usage: a last word ``help``, ``--help``, ``-h`` or ``?``.

    Where the arguments are free text (``search help``, ``interests add help``) only a help word that is
    all of the text asks; ``channel setup … help`` does unless the topic is labelled (``topic: help``).
    """
    if not args or args[-1].lower() not in HELP_WORDS:
        return False
    if verb in TEXT_COMMANDS:
        text = args[1:] if verb == "interests" and args[0].lower() in ("add", "remove") else args
        return len(text) == 1
    return not (verb == "channel" and any(_TOPIC_LABEL.match(a) for a in args))


def _interests(args: list[str]) -> Call:
    if not args:
        raise UsageError("`interests` needs `add <text>`, `remove <text>` or `list`")
    sub, rest = args[0].lower(), " ".join(args[1:]).strip()
    if sub == "list" and not rest:
        return Call("interests_list")
    if sub in ("add", "remove") and rest:
        return Call(f"interests_{sub}", {"text": rest})
    raise UsageError("use `interests add <text>`, `interests remove <text>` or `interests list`")


def _subscribe(args: list[str]) -> Call:
    if len(args) > 2:
        raise UsageError("`subscribe` takes at most a time and a timezone")
    found: dict[str, str] = {}
    for arg in args:
        key = "time" if clock.looks_like_time(arg) else "timezone"
        if key in found:
            raise UsageError(f"`subscribe` takes one {key}")
        found[key] = parse_time(arg) if key == "time" else parse_timezone(arg)
    return Call("subscribe", found)


def _mentions(args: list[str]) -> Call:
    words = [a.lower() for a in args]
    if len(words) == 1 and words[0] in ("on", "off"):
        return Call("mentions_channel", {"on": words[0] == "on"})
    if len(words) == 2 and words[0] == "me" and words[1] in ("on", "off"):
        return Call("mentions_me", {"on": words[1] == "on"})
    raise UsageError("use `mentions on` or `mentions off` (this channel's digest) or `mentions me on|off` (you)")


def _channel(args: list[str]) -> Call:
    """``channel off``, ``channel status`` or ``channel setup [HH:MM] [timezone] [size] [topic…]``.

    Each word of ``setup`` is the time, the timezone or the size when it looks like one (each at most once,
    else refused), and the topic's otherwise; the topic is one run of words, before or after the rest
    (``LLM safety 09:00``). After ``topic:`` everything is the topic, as typed (``topic: NLP/ML 2024``).
    """
    if not args:
        raise UsageError("`channel` needs `setup`, `off` or `status`")
    sub, rest = args[0].lower(), args[1:]
    if sub in ("off", "status") and not rest:
        return Call(f"channel_{sub}")
    if sub != "setup":
        raise UsageError("use `channel setup [HH:MM] [timezone] [size] [topic…]`, `channel off` or `channel status`")
    found: dict[str, Any] = {}
    topic: list[str] = []
    closed = False  # an option came after the topic's words: the topic is over
    for at, arg in enumerate(rest):
        label = _TOPIC_LABEL.match(arg)
        if label:
            if topic:
                raise UsageError(f"`topic:` comes before the whole topic: `channel setup topic: {' '.join(topic)} …`")
            topic = [" ".join([arg[label.end():], *rest[at + 1:]]).strip()]
            break
        key, value = _setup_option(arg, rest[at:])
        if key is None:
            if closed:
                raise UsageError(f"the topic is split by an option; write it in one piece, or put the options first "
                                 f"and the whole topic after `topic:`: `channel setup topic: {' '.join(rest)}`")
            topic.append(arg)
            continue
        if key in found:
            raise UsageError(f"`channel setup` takes one {key} (`{found[key]}`, then `{value}`); "
                             f"{_topic_hint(rest[at:])}")
        found[key] = value
        closed = bool(topic)
    text = " ".join(topic).strip()
    if text:
        found["topic"] = text
    return Call("channel_setup", found)


def _picks_count(args: list[str]) -> dict[str, int]:
    """``picks`` or ``picks N``: N papers (1 to :data:`MAX_DIGEST_SIZE`) instead of the caller's digest size."""
    if not args:
        return {}
    if len(args) == 1 and _SIZE.fullmatch(args[0]) and 1 <= number(args[0]) <= MAX_DIGEST_SIZE:
        return {"k": number(args[0])}
    raise UsageError(f"`picks` takes one number of papers, 1 to {MAX_DIGEST_SIZE} (`picks 10`), or nothing")


def _topic_hint(words: list[str]) -> str:
    """How to give ``words`` as the topic: ``a topic holding one goes after `topic:`: `channel setup topic: NLP/ML```."""
    return f"a topic holding one goes after `topic:`: `channel setup topic: {' '.join(words)}`"


def _setup_option(arg: str, onward: list[str]) -> tuple[str | None, Any]:
    """What one word of ``channel setup`` sets: ``("time", "08:00")``, ``("timezone", …)``, ``("size", 5)``,
    or ``(None, None)`` for a topic word (``onward``: it and the words after it, for the hint of a topic).

    Raises :class:`UsageError` for a bad time, timezone or size."""
    hint = f"; {_topic_hint(onward)}"
    if clock.looks_like_time(arg):
        return "time", parse_time(arg)
    if clock.looks_like_timezone(arg) and _ZONE_WORD.fullmatch(arg):  # not <b>graphs</b>
        try:
            return "timezone", parse_timezone(arg)
        except UsageError as exc:
            raise UsageError(f"{exc}{hint}") from None
    if _SIZE.fullmatch(arg):
        if not 1 <= number(arg) <= MAX_DIGEST_SIZE:
            raise UsageError(f"digest size must be between 1 and {MAX_DIGEST_SIZE}{hint if len(onward) > 1 else ''}")
        return "size", number(arg)
    if arg.isdigit():
        raise UsageError(f"`{arg}` is not a size: write it in the digits 0-9")
    return None, None


def _club(args: list[str]) -> Call:
    """``club``, ``club status``, ``club off``, ``club vote <n>`` or ``club <weekday> <HH:MM>``."""
    usage = "use `club <weekday> <HH:MM>`, `club off`, `club status` or `club vote <n>`"
    words = [a.lower() for a in args]
    if not words or words == ["status"]:
        return Call("club_status")
    if words == ["off"]:
        return Call("club_off")
    if words[0] in ("status", "off"):
        raise UsageError(f"`club {words[0]}` takes no arguments")
    if words[0] == "vote":
        if len(words) != 2 or not _NUMBER.fullmatch(words[1]) or not 1 <= number(words[1]) <= BALLOT_SIZE:
            raise UsageError(f"`club vote` takes the number of a paper on the ballot, 1 to {BALLOT_SIZE}")
        return Call("club_vote", {"choice": number(words[1])})
    if len(words) != 2:
        raise UsageError(usage)
    try:
        weekday = clock.parse_weekday(words[0])
        time = clock.parse_time_of_day(words[1])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return Call("club_set", {"weekday": weekday, "time": time})
