"""The platform-neutral command layer: everything ``/papers`` and the reactions can do.

Slack, Discord, the console and the CLI all call :class:`Commands`; an adapter
only translates its platform's requests into these calls and renders the
:class:`Reply` it gets back. Every method runs in one transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.digest import PaperItem, item_from_pick, paper_item
from recommender.picks import Recommender
from bot.settings import Settings
from recommender.sources.records import normalize_arxiv_id
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Feedback, Member, Paper, Store
from recommender.store.models import utcnow

log = logging.getLogger(__name__)

USAGE = """\
*Usage:* `/papers <command>`
• `search <query>`: find stored papers
• `picks`: your picks, now
• `interests add <text>` · `interests remove <text>` · `interests list`
• `subscribe [HH:MM] [timezone]`: your own picks by DM every day · `unsubscribe`
• `channel setup [HH:MM] [timezone] [size] [topic…]`: a daily digest in this channel
• `channel off` · `channel status`
• `like <paper>` · `dislike <paper>`: by arXiv id or link
• `help`"""

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
POSITIVE, NEGATIVE = 1, -1


class UsageError(ValueError):
    """A command that does not parse; the reply is the usage, privately."""


@dataclass(frozen=True)
class Caller:
    """Who is asking, and where.

    ``workspace`` is the Slack workspace (team id) or Discord guild id;
    ``channel_ref`` is the channel the command was typed in (``None`` in a DM).
    """

    platform: str
    workspace: str
    user_ref: str
    display_name: str | None = None
    channel_ref: str | None = None
    channel_name: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.platform}:{self.user_ref}" + (f" ({self.display_name})" if self.display_name else "")


@dataclass
class Reply:
    """What to answer: text (mrkdwn-ish), optional papers, and whether only the caller sees it."""

    text: str
    items: list[PaperItem] = field(default_factory=list)
    ephemeral: bool = True
    ok: bool = True


def parse_time(value: str) -> str:
    """``"8:05"`` → ``"08:05"``; raises :class:`UsageError` for anything but 24-hour HH:MM."""
    m = _TIME.match(value.strip())
    if not m:
        raise UsageError(f"`{value}` is not a time; use 24-hour HH:MM, e.g. 08:30")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_timezone(value: str) -> str:
    """Validate an IANA timezone name (``Europe/Berlin``); raises :class:`UsageError`."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"`{value}` is not a timezone; use an IANA name such as Europe/Berlin") from None
    return value


def timezone_choices(prefix: str, limit: int = 25) -> list[str]:
    """IANA timezone names containing ``prefix`` (case-insensitive), for autocomplete."""
    needle = prefix.lower()
    return sorted(z for z in available_timezones() if needle in z.lower())[:limit]


def _insert_or_get(session: Session, row, query):
    """Insert ``row``; when a concurrent request inserted the same unique row first, return that one."""
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return session.scalar(query)


class Commands:
    """Every action a person can take on paperbot, independent of the chat platform.

    Parameters
    ----------
    store : Store
        The paper store.
    settings : Settings
        Defaults for digest time, timezone and size.
    recommender : Recommender, optional
        Shared recommender (keeps its TF-IDF cache); one is made when omitted.
    """

    def __init__(self, store: Store, settings: Settings, recommender: Recommender | None = None):
        self.store = store
        self.settings = settings
        self.recommender = recommender or Recommender(store, settings.recommender)

    # -- text entry point --------------------------------------------------------
    def handle(self, caller: Caller, text: str) -> Reply:
        """Run one ``/papers`` command line; malformed input answers with the usage, privately."""
        words = text.split()
        try:
            if not words or words[0].lower() in ("help", "-h", "--help", "?"):
                return self.help()
            verb, args = words[0].lower(), words[1:]
            if verb == "search":
                if not args:
                    raise UsageError("`search` needs a query, e.g. `/papers search graph neural networks`")
                return self.search(caller, " ".join(args))
            if verb == "picks":
                if args:
                    raise UsageError("`picks` takes no arguments")
                return self.picks(caller)
            if verb == "interests":
                return self._interests(caller, args)
            if verb == "subscribe":
                return self._subscribe(caller, args)
            if verb == "unsubscribe":
                return self.unsubscribe(caller)
            if verb == "channel":
                return self._channel(caller, args)
            if verb in ("like", "dislike"):
                if len(args) != 1:
                    raise UsageError(f"`{verb}` takes one paper: an arXiv id or link")
                value = POSITIVE if verb == "like" else NEGATIVE
                return self.rate(caller, args[0], value)
            raise UsageError(f"unknown command `{words[0]}`")
        except UsageError as exc:
            return Reply(f"{exc}\n\n{USAGE}", ok=False)

    def help(self) -> Reply:
        return Reply(USAGE)

    def _interests(self, caller: Caller, args: list[str]) -> Reply:
        if not args:
            raise UsageError("`interests` needs `add <text>`, `remove <text>` or `list`")
        sub, rest = args[0].lower(), " ".join(args[1:]).strip()
        if sub == "list" and not rest:
            return self.interests_list(caller)
        if sub in ("add", "remove") and rest:
            return self.interests_add(caller, rest) if sub == "add" else self.interests_remove(caller, rest)
        raise UsageError("use `interests add <text>`, `interests remove <text>` or `interests list`")

    def _subscribe(self, caller: Caller, args: list[str]) -> Reply:
        if len(args) > 2:
            raise UsageError("`subscribe` takes at most a time and a timezone")
        time = tz = None
        for arg in args:
            if _TIME.match(arg):
                time = parse_time(arg)
            else:
                tz = parse_timezone(arg)
        return self.subscribe(caller, time, tz)

    def _channel(self, caller: Caller, args: list[str]) -> Reply:
        if not args:
            raise UsageError("`channel` needs `setup`, `off` or `status`")
        sub, rest = args[0].lower(), args[1:]
        if sub == "off" and not rest:
            return self.channel_off(caller)
        if sub == "status" and not rest:
            return self.channel_status(caller)
        if sub != "setup":
            raise UsageError("use `channel setup [HH:MM] [timezone] [size] [topic…]`, `channel off` or `channel status`")
        time = tz = None
        size = None
        topic_words: list[str] = []
        for arg in rest:
            if topic_words:
                topic_words.append(arg)
            elif time is None and _TIME.match(arg):
                time = parse_time(arg)
            elif tz is None and ("/" in arg or arg in ("UTC", "GMT")):
                tz = parse_timezone(arg)
            elif size is None and arg.isdigit():
                size = int(arg)
            else:
                topic_words.append(arg)
        return self.channel_setup(caller, time=time, timezone=tz, size=size, topic=" ".join(topic_words) or None)

    # -- rows ------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.store.session() as session:
            yield session

    def member(self, session: Session, caller: Caller) -> Member:
        """The caller's member row, created on first use (safe under concurrent first use)."""
        query = select(Member).where(
            Member.platform == caller.platform, Member.workspace == caller.workspace, Member.user_ref == caller.user_ref
        )
        row = session.scalar(query)
        if row is not None:
            if caller.display_name and row.display_name != caller.display_name:
                row.display_name = caller.display_name
            return row
        row = Member(user_ref=caller.user_ref, display_name=caller.display_name, interests=[], **self._defaults(caller))
        return _insert_or_get(session, row, query)

    def channel(self, session: Session, caller: Caller, *, create: bool = False) -> Channel | None:
        if caller.channel_ref is None:
            raise UsageError("this command works in a channel, not in a direct message")
        query = select(Channel).where(
            Channel.platform == caller.platform, Channel.workspace == caller.workspace, Channel.channel_ref == caller.channel_ref
        )
        row = session.scalar(query)
        if row is None and create:
            row = Channel(channel_ref=caller.channel_ref, name=caller.channel_name, topic="", enabled=True, **self._defaults(caller))
            row = _insert_or_get(session, row, query)
        return row

    def _defaults(self, caller: Caller) -> dict:
        digest = self.settings.digest
        return dict(
            platform=caller.platform, workspace=caller.workspace,
            digest_time=digest.time, timezone=digest.timezone, digest_size=digest.size,
        )

    def find_paper(self, session: Session, ref: str) -> Paper | None:
        """A stored paper by arXiv id or link (any version), Hugging Face link, or ``#<id>``."""
        ref = ref.strip().strip("<>")
        if ref.startswith("#") and ref[1:].isdigit():
            return session.get(Paper, int(ref[1:]))
        arxiv_id = normalize_arxiv_id(ref)
        if arxiv_id:
            return session.scalar(select(Paper).where(Paper.arxiv_id == arxiv_id))
        return None

    # -- reading -----------------------------------------------------------------------
    def search(self, caller: Caller | None, query: str, k: int = 5) -> Reply:
        """Stored papers ranked by TF-IDF relevance, re-ranked for the caller's profile."""
        with self._session() as session:
            member = self.member(session, caller) if caller else None
            hits = self.recommender.search(session, query, k=k, member=member)
            items = [paper_item(p, score=s) for p, s in hits]
        if not items:
            return Reply(f"No stored paper matches “{query}”.")
        return Reply(f"Top {len(items)} for “{query}”:", items)

    def picks(self, caller: Caller, k: int | None = None) -> Reply:
        """The caller's picks now, among papers not yet delivered to or rated by them."""
        with self._session() as session:
            member = self.member(session, caller)
            k = k or member.digest_size
            picks = self.recommender.picks(session, [member], k)[0]
            items = [item_from_pick(p) for p in picks]
            hint = "" if member.interests else "\nTip: `/papers interests add <topic>` makes these yours."
        if not items:
            return Reply("No new papers to pick from yet." + hint)
        return Reply(f"Your top {len(items)} picks:" + hint, items)

    # -- interests ---------------------------------------------------------------------
    def interests_list(self, caller: Caller) -> Reply:
        with self._session() as session:
            interests = list(self.member(session, caller).interests or [])
        if not interests:
            return Reply("You have no interests yet. Add one: `/papers interests add graph neural networks`")
        return Reply("Your interests:\n" + "\n".join(f"• {i}" for i in interests))

    def interests_add(self, caller: Caller, text: str) -> Reply:
        text = " ".join(text.split())
        if not text:
            raise UsageError("`interests add` needs some text")
        with self._session() as session:
            member = self.member(session, caller)
            current = list(member.interests or [])
            if text.lower() not in (i.lower() for i in current):
                member.interests = current + [text]
        return Reply(f"Added interest “{text}”. Your next picks use it.")

    def interests_remove(self, caller: Caller, text: str) -> Reply:
        text = " ".join(text.split())
        with self._session() as session:
            member = self.member(session, caller)
            current = list(member.interests or [])
            kept = [i for i in current if i.lower() != text.lower()]
            if len(kept) == len(current):
                return Reply(f"“{text}” is not among your interests. `/papers interests list` shows them.", ok=False)
            member.interests = kept
        return Reply(f"Removed interest “{text}”.")

    # -- subscriptions ---------------------------------------------------------------
    def subscribe(self, caller: Caller, time: str | None = None, timezone: str | None = None) -> Reply:
        """Daily picks by DM at ``time`` (HH:MM) in ``timezone`` (IANA), defaulting to current settings."""
        time = parse_time(time) if time else None
        timezone = parse_timezone(timezone) if timezone else None
        with self._session() as session:
            member = self.member(session, caller)
            member.subscribed = True
            if time:
                member.digest_time = time
            if timezone:
                member.timezone = timezone
            when = f"{member.digest_time} {member.timezone}"
        return Reply(f"Subscribed: your picks arrive by DM every day at {when}.")

    def unsubscribe(self, caller: Caller) -> Reply:
        with self._session() as session:
            member = self.member(session, caller)
            was = member.subscribed
            member.subscribed = False
        return Reply("Unsubscribed: no more daily DMs." if was else "You were not subscribed.")

    # -- channels -----------------------------------------------------------------------
    def _log_change(self, session: Session, channel: Channel, caller: Caller, change: str) -> None:
        session.add(ChannelChange(channel_id=channel.id, actor=caller.actor, change=change, at=utcnow()))
        log.info("channel change", extra={"channel": channel.channel_ref, "actor": caller.actor, "change": change})

    def channel_setup(
        self,
        caller: Caller,
        *,
        time: str | None = None,
        timezone: str | None = None,
        size: int | None = None,
        topic: str | None = None,
    ) -> Reply:
        """Turn on (or change) the daily digest of the caller's channel; every change is logged with who made it."""
        time = parse_time(time) if time else None
        timezone = parse_timezone(timezone) if timezone else None
        if size is not None and not 1 <= size <= 20:
            raise UsageError("digest size must be between 1 and 20")
        with self._session() as session:
            channel = self.channel(session, caller, create=True)
            assert channel is not None
            changes = []
            if not channel.enabled:
                channel.enabled = True
                changes.append("enabled")
            if caller.channel_name and channel.name != caller.channel_name:
                channel.name = caller.channel_name
            for attr, value, label in (
                ("digest_time", time, "time"),
                ("timezone", timezone, "timezone"),
                ("digest_size", size, "size"),
                ("topic", topic, "topic"),
            ):
                if value is not None and getattr(channel, attr) != value:
                    setattr(channel, attr, value)
                    changes.append(f"{label}={value}")
            self._log_change(session, channel, caller, "setup " + (", ".join(changes) or "(no change)"))
            summary = self._channel_summary(channel)
        return Reply("Channel digest is on. " + summary, ephemeral=False)

    def channel_off(self, caller: Caller) -> Reply:
        with self._session() as session:
            channel = self.channel(session, caller)
            if channel is None or not channel.enabled:
                return Reply("This channel has no digest.")
            channel.enabled = False
            self._log_change(session, channel, caller, "off")
        return Reply("Channel digest is off.", ephemeral=False)

    def channel_status(self, caller: Caller, history: int = 5) -> Reply:
        with self._session() as session:
            channel = self.channel(session, caller)
            if channel is None:
                return Reply("This channel has no digest. `/papers channel setup` turns one on.")
            changes = session.scalars(
                select(ChannelChange).where(ChannelChange.channel_id == channel.id).order_by(ChannelChange.id.desc()).limit(history)
            ).all()
            last = session.scalar(
                select(Delivery)
                .where(Delivery.target_kind == "channel", Delivery.target_id == channel.id, Delivery.status == "posted")
                .order_by(Delivery.day.desc())
                .limit(1)
            )
            lines = [("On. " if channel.enabled else "Off. ") + self._channel_summary(channel)]
            lines.append(f"Last digest: {last.day.isoformat()}" if last else "Last digest: none yet")
            if changes:
                lines.append("Recent changes:")
                lines += [f"• {c.at:%Y-%m-%d %H:%M} UTC {c.actor}: {c.change}" for c in changes]
        return Reply("\n".join(lines))

    @staticmethod
    def _channel_summary(channel: Channel) -> str:
        topic = f" Topic: “{channel.topic}”." if channel.topic else " No topic yet: add one to steer the picks."
        return f"{channel.digest_size} papers every day at {channel.digest_time} {channel.timezone}.{topic}"

    # -- feedback --------------------------------------------------------------------------
    def rate(self, caller: Caller, paper_ref: str, value: int, *, origin: str = "command") -> Reply:
        """👍 (``value=1``) or 👎 (``-1``) a paper given by arXiv id or link."""
        with self._session() as session:
            paper = self.find_paper(session, paper_ref)
            if paper is None:
                return Reply(f"No stored paper `{paper_ref}`. Give an arXiv id (2401.01234), an arXiv link, or the #id shown with a paper (#12).", ok=False)
            self._set_feedback(session, caller, paper.id, value, origin, self._caller_channel_id(session, caller))
            title = paper.title
        return Reply(("👍 " if value > 0 else "👎 ") + f"noted for “{title}”. Your next picks reflect it.")

    def _caller_channel_id(self, session: Session, caller: Caller) -> int | None:
        if caller.channel_ref is None:
            return None
        channel = self.channel(session, caller)
        return channel.id if channel else None

    def _set_feedback(self, session: Session, caller: Caller, paper_id: int, value: int, origin: str, channel_id: int | None) -> None:
        member = self.member(session, caller)
        query = select(Feedback).where(Feedback.member_id == member.id, Feedback.paper_id == paper_id)
        row = session.scalar(query)
        if row is None:
            new = Feedback(member_id=member.id, paper_id=paper_id, value=value, origin=origin, channel_id=channel_id, created_at=utcnow())
            row = _insert_or_get(session, new, query)
            if row is new:
                return
        row.value, row.origin, row.created_at = value, origin, utcnow()
        if channel_id is not None:
            row.channel_id = channel_id

    def feedback(self, caller: Caller, paper_id: int, value: int, *, origin: str = "button", delivery_id: int | None = None) -> bool:
        """Record 👍/👎 on a paper the bot posted (a button press); the other button changes it.

        Returns False (and records nothing) when the paper is not in the given
        delivery, or does not exist.
        """
        with self._session() as session:
            if session.get(Paper, paper_id) is None:
                return False
            channel_id = None
            if delivery_id is not None:
                item = session.get(DeliveryItem, (delivery_id, paper_id))
                if item is None:
                    return False
                if item.delivery.target_kind == "channel":
                    channel_id = item.delivery.target_id
            self._set_feedback(session, caller, paper_id, value, origin, channel_id)
        return True

    def posted_item(self, session: Session, platform: str, message_ref: str) -> DeliveryItem | None:
        """The delivered paper a bot message carries, or None when the bot did not post it."""
        return session.scalar(
            select(DeliveryItem).where(DeliveryItem.platform == platform, DeliveryItem.message_ref == message_ref).limit(1)
        )

    def reaction(self, caller: Caller, message_ref: str, value: int, *, added: bool) -> bool:
        """A 👍/👎 reaction added to (or removed from) a bot message that carries a paper.

        Adding records feedback for the reacting person; removing retracts it
        when it still holds that value. Returns False for messages the bot did
        not post (nothing is recorded).
        """
        with self._session() as session:
            item = self.posted_item(session, caller.platform, message_ref)
            if item is None:
                return False
            channel_id = item.delivery.target_id if item.delivery.target_kind == "channel" else None
            if added:
                self._set_feedback(session, caller, item.paper_id, value, "reaction", channel_id)
            else:
                member = self.member(session, caller)
                session.execute(
                    delete(Feedback).where(
                        Feedback.member_id == member.id, Feedback.paper_id == item.paper_id, Feedback.value == value
                    )
                )
        return True
