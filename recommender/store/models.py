"""SQLAlchemy 2.x models of the paper store.

Schema changes go through Alembic migrations in ``migrations/versions``; this
module is the source the migrations are written from.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recommender.store.base import Base, UTCDateTime, utcnow

#: Characters a DOI keeps as they are in its resolver link (a space, ``#``, ``?``, ``"``, ``<`` or ``>`` is escaped).
_DOI_SAFE = "/:;()[]._-~%+,=@!$&'*"


class Paper(Base):
    """A paper, stored once: keyed by arXiv id (no version) when known, else by normalized title.

    Both keys are unique in the database: ``arxiv_id`` everywhere, ``title_key``
    among papers with no arXiv id (a partial unique index), so racing ingests
    cannot store a paper twice. The full-text index over title, abstract and
    authors lives outside this model (migration 0004): the FTS5 table
    ``papers_fts`` on SQLite, the generated column ``search_vector`` on
    PostgreSQL; :mod:`recommender.store.fulltext` queries it.
    """

    __tablename__ = "papers"
    __table_args__ = (
        Index("uq_papers_title_key_no_arxiv", "title_key", unique=True,
              sqlite_where=text("arxiv_id IS NULL"), postgresql_where=text("arxiv_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    title_key: Mapped[str] = mapped_column(String(1000), index=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[dt.date | None] = mapped_column(Date)
    #: How much of ``published`` is known (:mod:`recommender.dates`): ``"year"`` (stored as its 1 January),
    #: ``"month"`` (its 1st), NULL for the day itself (migration 0014; every row before it meant a day).
    published_precision: Mapped[str | None] = mapped_column(String(8))
    url: Mapped[str | None] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(32))
    is_news: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    doi: Mapped[str | None] = mapped_column(String(255), index=True)
    #: Where it appeared, its entry type and pages, as a library import read them (BibTeX ``journal`` or
    #: ``booktitle``; ``article``, ``inproceedings``, ``misc`` and the other types of
    #: :data:`recommender.imports.entry.ENTRY_TYPES`; ``436-444``), written back by an export (migration 0020).
    venue: Mapped[str | None] = mapped_column(Text)
    entry_type: Mapped[str | None] = mapped_column(String(32))
    pages: Mapped[str | None] = mapped_column(Text)
    #: The author list stops short: a library wrote "and others" after it (migration 0022), written back by an export.
    more_authors: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    entries: Mapped[list[DigestEntry]] = relationship(back_populates="paper")

    @property
    def ref(self) -> str:
        """Short reference users type: the arXiv id, else ``#<id>``."""
        return self.arxiv_id or f"#{self.id}"

    @property
    def link(self) -> str | None:
        """Its own URL, else its arXiv abstract page, else ``https://doi.org/<doi>``; None without any.

        Derived, never stored in ``url``: a paper without a URL or arXiv id is still one enrichment
        looks up on arXiv (:mod:`recommender.enrich`), and a digest's URL still fills ``url`` later."""
        if self.url:
            return self.url
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        return f"https://doi.org/{quote(self.doi, safe=_DOI_SAFE)}" if self.doi else None


class Digest(Base):
    """One ingested digest (a file, a URL response). Same content twice is a no-op."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    digest_date: Mapped[dt.date | None] = mapped_column(Date)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    n_entries: Mapped[int] = mapped_column(Integer, default=0)
    n_new: Mapped[int] = mapped_column(Integer, default=0)

    entries: Mapped[list[DigestEntry]] = relationship(back_populates="digest", cascade="all, delete-orphan")


class DigestEntry(Base):
    """A paper as one digest listed it, in order, with that digest's facts."""

    __tablename__ = "digest_entries"

    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    upvotes: Mapped[int | None] = mapped_column(Integer)

    digest: Mapped[Digest] = relationship(back_populates="entries")
    paper: Mapped[Paper] = relationship(back_populates="entries")


class _DigestTarget:
    """Columns of everything that gets a digest (a member's DM, a channel): where it lives and its schedule."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_size: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paused: Mapped[str | None] = mapped_column(String(32))  # why one that is on gets nothing for now: bot/pauses.py


class Member(_DigestTarget, Base):
    """A person on a platform: (platform, workspace or guild, user id)."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user_ref"),)

    user_ref: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(256))
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Opted in to be named under channel digest papers that fit them (``/papers mentions me on``).
    mentions: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    @property
    def name(self) -> str:
        return self.display_name or self.user_ref


class Channel(_DigestTarget, Base):
    """A team channel on a platform: (platform, workspace or guild, channel id)."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel_ref"),)

    channel_ref: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(256))
    topic: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Digest papers name the opted-in members they fit best (``/papers mentions on``).
    mentions: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    #: The weekly journal club (``/papers club``): weekday (0 = Monday) and local ``HH:MM`` in
    #: ``timezone``; no weekday, no club. ``club_since`` (UTC) is when it was last set.
    club_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    club_time: Mapped[str | None] = mapped_column(String(5))
    club_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ChannelChange(Base):
    """Audit log of channel settings changes: who changed what, when."""

    __tablename__ = "channel_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(256))
    change: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Feedback(Base):
    """A member's 👍 (+1) or 👎 (-1) on a paper; one opinion per member and paper.

    ``channel_id`` is the channel the feedback was given in (``None`` for DMs,
    commands and the CLI); a channel's profile uses the feedback given in it.
    Retracting feedback deletes the row.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("member_id", "paper_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"), index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The member's citation key for the paper, from the library file it was imported from (``nagel2020up``):
    #: an export writes it back (:func:`recommender.imports.export.citation_keys`). None for other 👍.
    citation_key: Mapped[str | None] = mapped_column(String(200))

    paper: Mapped[Paper] = relationship()


class Delivery(Base):
    """A daily digest for one target (channel or member) and day.

    The unique (target_kind, target_id, day) row is the claim written before
    posting: a digest is posted at most once across restarts and instances.
    ``status`` is ``claimed``, ``posted``, ``empty``, ``failed`` (retried at the next
    run) or ``unreachable`` (not retried); ``message_ref``
    is the platform reference of the digest's header message, committed the moment
    the platform accepted it (each paper's likewise, on its :class:`DeliveryItem`).
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("target_kind", "target_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(16))
    message_ref: Mapped[str | None] = mapped_column(String(256))
    #: When the first attempt claimed it (``claimed_at`` moves on each takeover): no message of
    #: this digest can exist on the platform before then. UTC.
    first_claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The claimant's last sign of life (its lease), refreshed while it posts: a ``claimed`` row whose
    #: heartbeat is older than ``delivery.recovery_seconds`` is taken over. UTC.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: When the person of an ``unreachable`` member digest was told it never reached them (in a private
    #: answer to their next ``/papers`` command, ``bot/commands/dm_notice.py``); None until then. UTC.
    told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[DeliveryItem]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="DeliveryItem.position"
    )


class DeliveryItem(Base):
    """A paper in a delivered digest, with the message that carries it.

    ``message_ref`` is the platform's reference of the per-paper message (Slack
    ``channel:ts``, Discord message id); reactions are mapped back through it.
    """

    __tablename__ = "delivery_items"
    __table_args__ = (Index("ix_delivery_items_message", "platform", "message_ref"),)

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str | None] = mapped_column(String(16))
    message_ref: Mapped[str | None] = mapped_column(String(256))

    delivery: Mapped[Delivery] = relationship(back_populates="items")
    paper: Mapped[Paper] = relationship()


class Mention(Base):
    """A member named under a paper of a channel digest: at most one per member and (local) day.

    Written with the digest's papers, before anything is posted (the same
    claim-before-post rule as :class:`Delivery`): a resumed digest names the
    same people under the same papers, and two digests of one workspace posting
    at once cannot both name a person that day (the unique row). ``day`` is the
    digest's local day; the message that carries the mention is the
    :class:`DeliveryItem` of (``delivery_id``, ``paper_id``). ``basis`` is what the member's
    profile the fit was scored against was made of (``interests``, ``likes``,
    ``interests+likes``), so the message says "fits your interests" or "fits what you read"
    truly; None for rows written before it was recorded.
    """

    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("member_id", "day", name="uq_mention_member_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(default=0.0)
    basis: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped[Member] = relationship()


class ClubVote(Base):
    """One person's vote in a journal club poll; changing it updates the row.

    ``poll_id`` is the poll's ``deliveries`` row (``target_kind`` ``club_poll``), whose
    items are the papers on the ballot; ``voted_at`` is UTC.
    """

    __tablename__ = "club_votes"
    __table_args__ = (UniqueConstraint("poll_id", "member_id", name="uq_club_vote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    voted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped[Member] = relationship()


class SourceRun(Base):
    """One run of a scheduled ingestion source (``paperbot run``): when, what came in, what failed.

    ``source`` is the configured source's name (``[[sources]]`` in the config),
    ``status`` is ``ok``, ``empty`` (no announcement that day), ``waiting`` (nothing
    ingested, inbox files still settling), ``partial`` (some inputs failed) or ``error``; ``new_papers`` counts papers stored for
    the first time, ``error`` joins the inputs' errors. Times are UTC.
    """

    __tablename__ = "source_runs"
    __table_args__ = (Index("ix_source_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="ok")
    inputs: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    new_papers: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ArxivLookup(Base):
    """The arXiv API's answer for one normalized title, cached by enrichment (:mod:`recommender.enrich`).

    ``status`` is ``found`` (``arxiv_id`` and ``record`` hold the match: title,
    abstract, authors, published, url), ``not_found`` or ``ambiguous`` (several
    arXiv papers carry that title); answers other than ``found`` are asked again
    once they are older than the retry interval.  ``checked_at`` is UTC.
    """

    __tablename__ = "arxiv_lookups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_key: Mapped[str] = mapped_column(String(1000), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    arxiv_id: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict | None] = mapped_column(JSON)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Onboarding(Base):
    """A newcomer's onboarding by rating: the rounds of papers shown to them, kept so a restart continues.

    ``rounds`` holds the paper ids of each round shown, in order (``[[…8 ids], [… 8 ids]]``);
    the ratings themselves are ordinary :class:`Feedback` rows. ``status`` is
    ``rating`` (the last round waits for ratings), ``done`` (every round rated)
    or ``skipped``. One row per member; ``/papers start`` starts it over. Times are UTC.
    """

    __tablename__ = "onboardings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="rating")
    rounds: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
