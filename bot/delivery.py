"""Deliver a daily digest to one target exactly once: claim, compose, post, record.

The claim is a unique ``deliveries`` row per (target, day), written before any
post. Whoever inserts it (or takes over a failed or stale one with one atomic
UPDATE) posts; everyone else skips. The adapter gets a :class:`DigestPost`
(the delivery id, the papers with their ids, the references posted so far) and
records each message reference on it as the platform accepts it; they are
stored when the adapter returns or fails, so a retry posts only what is
missing: a failing post is retried at the next run and never doubled.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.commands.caller import actor_user_ref
from bot.digest import DigestMessage
from bot.settings import Settings
from recommender.picks import Pick, Recommender
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Member, Store
from recommender.store.models import utcnow

log = logging.getLogger(__name__)

#: A claim older than this (seconds) whose poster never finished is taken over.
STALE_CLAIM_SECONDS = 600
#: Give up on a digest after this many failed attempts.
MAX_ATTEMPTS = 5


class TargetUnreachable(Exception):
    """Raised by a poster when the target cannot be posted to at all (missing
    permission, channel gone). The delivery is marked ``unreachable`` and not
    retried; the adapter reports the problem once to whoever configured it."""


@dataclass(frozen=True)
class DeliveryTarget:
    """Where a digest goes: a channel, or a member's DM."""

    kind: str  # "channel" or "member"
    id: int
    platform: str
    workspace: str
    ref: str  # channel id, or user id for a DM
    name: str

    @classmethod
    def of(cls, row: Channel | Member) -> DeliveryTarget:
        if isinstance(row, Channel):
            return cls("channel", row.id, row.platform, row.workspace, row.channel_ref, row.name or row.channel_ref)
        return cls("member", row.id, row.platform, row.workspace, row.user_ref, row.name)


@dataclass
class DigestPost:
    """One digest on its way to a target: what a poster needs, and what it has posted so far.

    Attributes
    ----------
    delivery_id : int
        The ``deliveries`` row (Slack's 👍/👎 buttons carry it).
    target : DeliveryTarget
    digest : DigestMessage
        Title, intro and the papers (each with its ``paper_id``), in order.
    header_ref : str or None
        The header message's platform reference, once posted (by this or an earlier attempt).
    paper_refs : dict of int to str
        ``paper_id`` -> the reference of the message that carries it, once posted.
    configurer : str or None
        For a channel: the platform user id of whoever last set it up, to tell
        when it cannot be posted to; None when nobody is known, or when they were
        told on an earlier day and nothing changed since.
    """

    delivery_id: int
    target: DeliveryTarget
    digest: DigestMessage
    header_ref: str | None = None
    paper_refs: dict[int, str] = field(default_factory=dict)
    configurer: str | None = None

    def unposted(self) -> list[tuple[int, Pick]]:
        """``(position, pick)`` of the papers not posted yet; positions are 1-based."""
        return [(n, p) for n, p in enumerate(self.digest.papers, 1) if p.paper_id not in self.paper_refs]

    def posted_header(self, ref: str) -> None:
        """Record that the header was accepted as message ``ref``."""
        self.header_ref = ref

    def posted_paper(self, paper_id: int, ref: str) -> None:
        """Record that paper ``paper_id`` was accepted as message ``ref``."""
        self.paper_refs[paper_id] = ref


class Poster(Protocol):
    """What a chat adapter implements to deliver digests.

    ``post`` posts the header (unless ``post.header_ref`` is set: an earlier
    attempt posted it) and every paper of :meth:`DigestPost.unposted`, calling
    :meth:`DigestPost.posted_header` / :meth:`DigestPost.posted_paper` as soon as
    each message is accepted. It raises on failure (:class:`TargetUnreachable`
    when the target cannot be posted to at all); what was recorded so far is
    kept, so a retry posts only what is missing.
    """

    platform: str

    def post(self, post: DigestPost) -> None: ...


@dataclass
class DeliveryOutcome:
    status: str  # posted, empty, skipped, failed
    delivery_id: int | None = None
    papers: int = 0
    error: str | None = None


def local_day(timezone: str, now: dt.datetime) -> dt.date:
    """The calendar day at ``now`` (aware, UTC) in ``timezone`` (IANA name)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def _target_row(session, target: DeliveryTarget) -> Channel | Member | None:
    return session.get(Channel if target.kind == "channel" else Member, target.id)


def _since(session, target: DeliveryTarget) -> dt.datetime | None:
    """When the target's last digest was composed: newer papers are its candidates."""
    return session.scalar(
        select(Delivery.claimed_at)
        .where(
            Delivery.target_kind == target.kind,
            Delivery.target_id == target.id,
            Delivery.status.in_(("posted", "empty")),
        )
        .order_by(Delivery.claimed_at.desc())
        .limit(1)
    )


def _configurer(session, target: DeliveryTarget, day: dt.date) -> str | None:
    """The user id of whoever last changed the channel's setup, unless they were told on an earlier day."""
    if target.kind != "channel":
        return None
    change = session.scalar(
        select(ChannelChange).where(ChannelChange.channel_id == target.id).order_by(ChannelChange.id.desc()).limit(1)
    )
    if change is None:
        return None
    previous = session.scalar(
        select(Delivery)
        .where(Delivery.target_kind == "channel", Delivery.target_id == target.id, Delivery.day < day)
        .order_by(Delivery.day.desc())
        .limit(1)
    )
    if previous is not None and previous.status == "unreachable" and _utc(change.at) <= _utc(previous.claimed_at):
        return None
    return actor_user_ref(change.actor, target.platform)


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (SQLite returns naive datetimes, PostgreSQL aware ones)."""
    return value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def claim(store: Store, target: DeliveryTarget, day: dt.date, now: dt.datetime) -> int | None:
    """Claim the (target, day) digest. Returns the delivery id when this caller owns it, else None."""
    try:
        with store.session() as session:
            row = Delivery(
                target_kind=target.kind, target_id=target.id, day=day, status="claimed", claimed_at=now,
                attempts=1, platform=target.platform,
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        pass
    stale = now - dt.timedelta(seconds=STALE_CLAIM_SECONDS)
    with store.session() as session:
        existing = session.scalar(
            select(Delivery).where(Delivery.target_kind == target.kind, Delivery.target_id == target.id, Delivery.day == day)
        )
        if existing is None or existing.attempts >= MAX_ATTEMPTS:
            return None
        taken = session.execute(
            update(Delivery)
            .where(
                Delivery.id == existing.id,
                Delivery.attempts == existing.attempts,
                or_(Delivery.status == "failed", (Delivery.status == "claimed") & (Delivery.claimed_at < stale)),
            )
            .values(status="claimed", claimed_at=now, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return existing.id if taken.rowcount == 1 else None


def deliver(
    store: Store,
    recommender: Recommender,
    settings: Settings,
    poster: Poster,
    target: DeliveryTarget,
    *,
    now: dt.datetime | None = None,
    day: dt.date | None = None,
) -> DeliveryOutcome:
    """Post ``target``'s digest for its local ``day`` once; safe to call again and from many processes."""
    now = now or utcnow()
    with store.session() as session:
        row = _target_row(session, target)
        if row is None:
            return DeliveryOutcome("skipped", error="target no longer exists")
        timezone, size = row.timezone, row.digest_size
        title_name = f"#{target.name}" if target.kind == "channel" else target.name
    day = day or local_day(timezone, now)
    delivery_id = claim(store, target, day, now)
    if delivery_id is None:
        return DeliveryOutcome("skipped")

    # Compose once: a retry re-posts the papers chosen the first time.
    with store.session() as session:
        delivery = session.get(Delivery, delivery_id)
        if not delivery.items:
            row = _target_row(session, target)
            picks = recommender.picks(session, [row], size, since=_since(session, target), now=now)[0]
            for position, pick in enumerate(picks):
                delivery.items.append(
                    DeliveryItem(paper_id=pick.paper_id, position=position, score=pick.score, reason=pick.reason, platform=target.platform)
                )
            session.flush()
        digest = DigestMessage(
            title=f"Papers for {title_name}, {day:%a %d %b %Y}",
            day=day,
            papers=[Pick.from_paper(item.paper, score=item.score, reason=item.reason) for item in delivery.items],
        )
        post = DigestPost(
            delivery_id, target, digest, header_ref=delivery.message_ref,
            paper_refs={item.paper_id: item.message_ref for item in delivery.items if item.message_ref},
            configurer=_configurer(session, target, day),
        )

    if digest.empty and settings.digest.empty_day == "skip":
        with store.session() as session:
            session.get(Delivery, delivery_id).status = "empty"
        log.info("digest empty", extra={"target": target.kind, "target_id": target.id, "day": str(day)})
        return DeliveryOutcome("empty", delivery_id)
    if digest.empty:
        digest.intro = "No new papers for you today."

    error = None
    unreachable = False
    try:
        poster.post(post)
    except TargetUnreachable as exc:
        error, unreachable = f"unreachable: {exc}", True
        log.warning("digest target unreachable", extra={"target": target.kind, "target_id": target.id, "error": error})
    except Exception as exc:  # any adapter failure: keep what was posted, retry the rest later
        error = f"{type(exc).__name__}: {exc}"
        log.warning("digest post failed", extra={"target": target.kind, "target_id": target.id, "error": error})
    with store.session() as session:
        delivery = session.get(Delivery, delivery_id)
        delivery.message_ref = post.header_ref
        for item in delivery.items:
            if item.paper_id in post.paper_refs:
                item.message_ref = post.paper_refs[item.paper_id]
        if error is None:
            delivery.status = "posted" if not digest.empty else "empty"
            delivery.posted_at = utcnow()
            delivery.error = None
        else:
            delivery.status = "unreachable" if unreachable else "failed"
            delivery.error = error
    if error:
        return DeliveryOutcome("unreachable" if unreachable else "failed", delivery_id, len(digest.papers), error)
    log.info("digest posted", extra={"target": target.kind, "target_id": target.id, "day": str(day), "papers": len(digest.papers)})
    return DeliveryOutcome("posted", delivery_id, len(digest.papers))


__all__ = ["TargetUnreachable", "DeliveryTarget", "DigestPost", "Poster", "DeliveryOutcome", "deliver", "claim", "local_day"]
