"""A day's digests ranked together before any is claimed: one candidates read and one ranker call per group.

``paperbot run --once`` and the service's digest workers post many targets'
digests in a row. Ranked one by one, each digest reads the day's candidates,
its workspace's community and runs the ranker for a single target. A
:class:`DigestPlan` ranks every target handed to it in one
:meth:`recommender.picks.Recommender.picks` call per group of targets with the
same digest size whose last digests were composed within :data:`SHARED_WINDOW`
of each other (each keeps its own bound: papers first seen before its last
digest are excluded for it). A group shares its candidates, which a lone ranking
of a target whose bound is later than the group's earliest does not: the
recency prior's and newest-first order's scales (:mod:`recommender.prepared`) span them, and
the papers between the two bounds are excluded candidates for it rather than
corpus papers (the neighbourhood's negatives), so its near-equal picks can differ.

The plan only proposes. A delivery's papers are still chosen under its claim, on
its first attempt (:func:`bot.delivery.deliver`): it takes the planned picks
(:meth:`DigestPlan.take`) only when they were ranked from the same last digest
and size, and none of them was delivered to or rated by the target since;
otherwise it ranks the target alone, as without a plan. Nor does it take them
once a news paper arrived after the plan read its candidates (that paper would
fall between this digest and the next). A plan is ranked at one instant:
interests changed or feedback given on other papers while the rest of the day's
digests are posted count from the next digest on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session

from bot.delivery.post import DeliveryTarget
from recommender.pick import Pick
from recommender.picks import Recommender
from recommender.store import Channel, Delivery, DeliveryItem, Feedback, Member, Paper, Store
from recommender.store.models import utcnow

__all__ = ["CHUNK", "READY_SECONDS", "SHARED_WINDOW", "DigestPlan", "last_composed", "since_groups"]

log = logging.getLogger(__name__)

#: Targets whose last digests were composed at most this far apart are ranked over one candidate set
#: (a day: the extra candidates cost one ranker call little; a longer gap, a returning subscriber, ranks apart).
SHARED_WINDOW = dt.timedelta(days=1)

#: Targets per ranker call: a search waiting on the recommender's lock waits for one call, not the whole plan.
CHUNK = 200
#: Longest a delivery waits in :meth:`DigestPlan.take` for a plan another thread is preparing (seconds).
READY_SECONDS = 600.0

Key = tuple[str, int]  # (target kind, target id)


@dataclass(frozen=True)
class _Planned:
    since: dt.datetime | None
    size: int
    picks: list[Pick]


def last_composed(session: Session, keys: Sequence[Key]) -> dict[Key, dt.datetime]:
    """When each target's last digest was composed (``claimed_at`` of its last posted or empty delivery, aware UTC).

    The bound :func:`bot.delivery._since` reads for one target, read here for many in one query per kind.
    """
    out: dict[Key, dt.datetime] = {}
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, target_id in keys:
        by_kind[kind].append(target_id)
    for kind, ids in by_kind.items():
        rows = session.execute(
            select(Delivery.target_id, func.max(Delivery.claimed_at))
            .where(Delivery.target_kind == kind, Delivery.target_id.in_(ids), Delivery.status.in_(("posted", "empty")))
            .group_by(Delivery.target_id)
        )
        out.update(((kind, target_id), at) for target_id, at in rows if at is not None)
    return out


def since_groups(bounds: dict[Key, dt.datetime | None], window: dt.timedelta = SHARED_WINDOW) -> list[list[Key]]:
    """Targets cut into groups ranked together: bounds at most ``window`` below the group's latest; None together.

    >>> t = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    >>> since_groups({("member", 1): t, ("member", 2): t - dt.timedelta(hours=3),
    ...               ("member", 3): t - dt.timedelta(days=9), ("member", 4): None})
    [[('member', 1), ('member', 2)], [('member', 3)], [('member', 4)]]
    """
    dated = sorted((k for k, b in bounds.items() if b is not None), key=lambda k: bounds[k], reverse=True)  # type: ignore[arg-type, return-value]
    groups: list[list[Key]] = []
    anchor: dt.datetime | None = None
    for key in dated:
        bound = bounds[key]
        assert bound is not None
        if anchor is None or anchor - bound > window:
            groups.append([])
            anchor = bound
        groups[-1].append(key)
    undated = [k for k, b in bounds.items() if b is None]
    return groups + ([undated] if undated else [])


class DigestPlan:
    """Picks for many targets' digests of a day, ranked together; thread-safe.

    Parameters
    ----------
    store : Store
    recommender : Recommender
    now : datetime
        Aware UTC time the picks are ranked at (feedback ages count to it).
    day_of : callable, optional
        A target row's digest day when :meth:`prepare` is given none (default: its local day at ``now``).
    """

    def __init__(self, store: Store, recommender: Recommender, *, now: dt.datetime,
                 day_of: Callable[[Channel | Member], dt.date] | None = None):
        self.store = store
        self.recommender = recommender
        self.now = now
        self.day_of = day_of or (lambda row: now.astimezone(ZoneInfo(row.timezone)).date())
        self._planned: dict[Key, _Planned] = {}
        self._asked: set[Key] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()  # set once prepare has returned (or failed)
        self.read_at = now  # when the last prepare began reading candidates (aware UTC)

    def prepare(self, keys: Sequence[tuple[str, int, dt.date | None]]) -> int:
        """Rank the ``(kind, target id, day)`` digests not asked for before and still to be composed; returns how many.

        Left out: targets gone or switched off, and any whose ``deliveries`` row for the day is done (posted,
        failed...) or holds its papers already; one only claimed is ranked (see :meth:`_open`). A day of None is the one
        ``day_of`` gives. Each chunk of targets is ranked in its own transaction (a SQLite write, such as an
        embedding stored on the way, is not held through the whole plan). :meth:`take` waits until it returns.
        """
        try:
            with self._lock:
                return self._prepare(keys)
        finally:
            self._ready.set()

    def _prepare(self, keys: Sequence[tuple[str, int, dt.date | None]]) -> int:
        wanted = {(kind, target_id): day for kind, target_id, day in keys if (kind, target_id) not in self._asked}
        if not wanted:
            return 0
        self.read_at = utcnow()  # before the candidates are read: a paper first seen later was not among them
        with self.store.session() as session:
            rows = self._open(session, wanted)
            bounds = last_composed(session, list(rows))
            by_size: dict[int, dict[Key, dt.datetime | None]] = defaultdict(dict)
            for key, row in rows.items():
                by_size[row.digest_size][key] = bounds.get(key)
        for size, sized in by_size.items():
            for group in since_groups(sized):
                bounds = [sized[k] for k in group]
                with self.store.session() as session:  # new papers' vectors stored on their own: ranking then only reads
                    self.recommender.prepare(session, since=None if None in bounds else min(b for b in bounds if b))
                for start in range(0, len(group), CHUNK):  # the recommender's lock is let go between chunks
                    chunk = group[start:start + CHUNK]
                    with self.store.session() as session:
                        targets = _rows(session, chunk)
                        picks = self.recommender.picks(session, [targets[k] for k in chunk], size,
                                                       since=[sized[k] for k in chunk], now=self.now)
                    self._planned.update((k, _Planned(sized[k], size, p)) for k, p in zip(chunk, picks, strict=True))
        self._asked |= wanted.keys()  # after the ranking: a database error leaves them to ask again
        log.info("digests planned", extra={"targets": len(rows)})
        return len(rows)

    def take(self, session: Session, target: DeliveryTarget, since: dt.datetime | None, size: int) -> list[Pick] | None:
        """The planned picks of ``target`` (once) if they still hold; else None (the caller ranks it alone).

        They hold when ranked from last digest ``since`` at ``size``, no news paper was first seen after the
        plan read its candidates (it would be in neither this digest nor the next), and none of the papers
        was delivered to the target or rated by it since. Waits up to :data:`READY_SECONDS` for a plan
        being prepared in another thread.
        """
        if not self._ready.wait(READY_SECONDS):
            return None
        with self._lock:
            planned = self._planned.pop((target.kind, target.id), None)
        if planned is None or planned.size != size or planned.since != since:
            return None
        newer = session.scalar(select(Paper.id).where(Paper.is_news.is_(True), Paper.first_seen >= self.read_at).limit(1))
        if newer is not None:
            return None
        ids = [p.paper_id for p in planned.picks]
        if ids and _any_seen(session, target, ids):
            return None
        return planned.picks

    def _open(self, session: Session, wanted: dict[Key, dt.date | None]) -> dict[Key, Channel | Member]:
        """The wanted targets that still exist, are on, and whose digest of the day has no papers chosen.

        A delivery row that is done (posted, failed...) or holds its papers leaves its target out. A row
        only claimed does not: its holder is choosing the papers, and waits for this plan when it is one of
        the threads that queued it (a thread that took its digest while the plan was being started).
        """
        rows = _rows(session, list(wanted))
        on = {k: r for k, r in rows.items() if (r.enabled if isinstance(r, Channel) else r.subscribed) and not r.paused}
        days = {k: wanted[k] or self.day_of(r) for k, r in on.items()}
        chosen = select(DeliveryItem.paper_id).where(DeliveryItem.delivery_id == Delivery.id).exists()
        held = session.execute(select(Delivery.target_kind, Delivery.target_id, Delivery.day)
                               .where(Delivery.day.in_(sorted(set(days.values()))),
                                      or_(Delivery.status != "claimed", chosen)))
        for kind, target_id, day in held:
            if days.get((kind, target_id)) == day:
                on.pop((kind, target_id), None)
        return on


def _rows(session: Session, keys: Sequence[Key]) -> dict[Key, Channel | Member]:
    """The target rows of ``keys`` in ``session``, one query per kind."""
    rows: dict[Key, Channel | Member] = {}
    for kind, model in (("channel", Channel), ("member", Member)):
        ids = [target_id for k, target_id in keys if k == kind]
        if ids:
            rows.update(((kind, row.id), row) for row in session.scalars(select(model).where(model.id.in_(ids))))
    return rows


def _any_seen(session: Session, target: DeliveryTarget, paper_ids: Sequence[int]) -> bool:
    """Whether any of ``paper_ids`` was delivered to ``target`` or rated by it."""
    delivered = (select(DeliveryItem.paper_id).join(Delivery, DeliveryItem.delivery_id == Delivery.id)
                 .where(Delivery.target_kind == target.kind, Delivery.target_id == target.id,
                        DeliveryItem.paper_id.in_(paper_ids)))
    rater = Feedback.member_id if target.kind == "member" else Feedback.channel_id
    rated = select(Feedback.paper_id).where(rater == target.id, Feedback.paper_id.in_(paper_ids))
    return session.execute(union_all(delivered, rated).limit(1)).first() is not None
