"""What a chat adapter gets of a digest on its way, and what it reports back.

A :class:`Poster` posts a :class:`DigestPost` and reports each message the
platform accepted through :meth:`DigestPost.posted_header` and
:meth:`DigestPost.posted_paper`. Delivery commits each reference there and then,
in its own transaction (:class:`bot.delivery.claim.Lease`), so a process that
dies mid-digest leaves on record exactly what the platform had confirmed, and
the next attempt posts only the rest, in the same thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.digest import DigestMessage
from recommender.pick import Pick
from recommender.store import Channel, Member

#: The ``part`` of a digest's header message; a paper's part is its ``paper_id``.
HEADER = "header"

#: A message of a digest: :data:`HEADER` or a ``paper_id``.
Part = str | int


class TargetUnreachable(Exception):
    """Raised by a poster when the target cannot be posted to at all (missing
    permission, channel gone). The delivery is marked ``unreachable`` and not
    retried; the adapter reports the problem once to whoever configured it.

    ``pause``: a :mod:`bot.pauses` reason when the platform showed that the target stays unreachable
    until the bot or the person is back in its workspace (Discord: the bot is in no server of the
    channel, or a DM was refused because the bot or the member left their server). The delivery
    then pauses the target too, in the transaction that marks the day ``unreachable``.
    """

    def __init__(self, message: str, *, pause: str | None = None):
        super().__init__(message)
        self.pause = pause


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
    attempt : int
        1 for the first attempt at this digest; more when an earlier one failed or died.
    first_claimed_at : datetime or None
        When the first attempt claimed the digest (aware, UTC): no message of it
        can exist on the platform before then.
    recorder : callable or None
        ``recorder(part, ref)`` commits a reference (delivery sets it); raises
        :class:`bot.delivery.claim.ClaimLost` when another process took the digest over.
    """

    delivery_id: int
    target: DeliveryTarget
    digest: DigestMessage
    header_ref: str | None = None
    paper_refs: dict[int, str] = field(default_factory=dict)
    configurer: str | None = None
    attempt: int = 1
    first_claimed_at: dt.datetime | None = None
    recorder: Callable[[Part, str], None] | None = field(default=None, repr=False, compare=False)

    @property
    def resumed(self) -> bool:
        """True on a later attempt: a message an earlier attempt sent may be on the platform, unrecorded
        (the process died, or the response was lost, between acceptance and record)."""
        return self.attempt > 1

    def unposted(self) -> list[tuple[int, Pick]]:
        """``(position, pick)`` of the papers not posted yet; positions are 1-based."""
        return [(n, p) for n, p in enumerate(self.digest.papers, 1) if p.paper_id not in self.paper_refs]

    def idempotency_key(self, part: Part) -> str:
        """``"<delivery id>-<part>"``: the same for every attempt at one message, at most 25 characters
        for ids below 10^11 (Discord's nonce limit)."""
        return f"{self.delivery_id}-{part}"

    def posted_header(self, ref: str) -> None:
        """Record that the header was accepted as message ``ref`` (committed before this returns)."""
        self.header_ref = ref
        if self.recorder is not None:
            self.recorder(HEADER, ref)

    def posted_paper(self, paper_id: int, ref: str) -> None:
        """Record that paper ``paper_id`` was accepted as message ``ref`` (committed before this returns)."""
        self.paper_refs[paper_id] = ref
        if self.recorder is not None:
            self.recorder(paper_id, ref)


class Poster(Protocol):
    """What a chat adapter implements to deliver digests.

    ``post`` posts the header (unless ``post.header_ref`` is set: an earlier
    attempt posted it) and every paper of :meth:`DigestPost.unposted`, in the
    header's thread, calling :meth:`DigestPost.posted_header` /
    :meth:`DigestPost.posted_paper` as soon as the platform accepted each
    message. A paper with names in ``post.digest.mentions`` carries them as the
    platform's real mentions (:func:`bot.digest.mention_line`), notifying those
    people only. On a :attr:`DigestPost.resumed` post it first adopts what an earlier
    attempt may have posted unrecorded, where the platform lets it tell
    (:meth:`DigestPost.idempotency_key`: Slack message metadata, Discord's nonce).
    It raises on failure (:class:`TargetUnreachable` when the target cannot be
    posted to at all); what was recorded so far is kept, so a retry posts only
    what is missing.
    """

    platform: str

    def post(self, post: DigestPost) -> None: ...
