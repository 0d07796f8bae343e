"""Exactly-once delivery: claims, retries that never double, empty days, unreachable targets."""

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select, text

from bot.commands import Caller, Commands
from bot.delivery import HEADER, DeliveryTarget, Lease, TargetUnreachable, claim, deliver
from recommender.store import Channel, Delivery, DeliveryItem
from recommender.store.models import utcnow

# Noon UTC tomorrow, after the papers were ingested (today, by the real clock), and hours from either midnight,
# so a retry an hour or two later falls on the same day whenever the suite runs.
NOW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)


class RecordingPoster:
    """A Poster that records what it posts and can fail after ``fail_after`` items."""

    platform = "slack"

    def __init__(self, fail_after=None, unreachable=False):
        self.posted: list[int] = []
        self.headers = 0
        self.fail_after = fail_after
        self.unreachable = unreachable

    def post(self, post):
        if self.unreachable:
            raise TargetUnreachable("missing permission")
        if post.header_ref is None:
            self.headers += 1
            post.posted_header(f"{post.target.ref}:header")
        for _, pick in post.unposted():
            if self.fail_after is not None and len(self.posted) >= self.fail_after:
                raise ConnectionError("network down")
            self.posted.append(pick.paper_id)
            post.posted_paper(pick.paper_id, f"{post.target.ref}:{pick.paper_id}")


@pytest.fixture
def team(papers_store, settings):
    cmds = Commands(papers_store, settings)
    caller = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
    cmds.channel_setup(caller, size=5, topic="graph neural networks and pruning")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    return cmds, target


def test_digest_is_posted_once_per_day(team, settings):
    cmds, target = team
    poster = RecordingPoster()
    first = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW)
    assert first.status == "posted" and first.papers == 5
    again = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW + dt.timedelta(hours=1))
    assert (again.status, again.error) == ("skipped", "already posted today")  # what run --once and status say
    assert len(poster.posted) == 5 and poster.headers == 1
    assert cmds.store.engine.pool.checkedout() == 0  # the lease gave its connection back
    with cmds.store.session() as s:
        items = s.scalars(select(DeliveryItem).order_by(DeliveryItem.position)).all()
        assert [i.message_ref for i in items] == [f"C1:{i.paper_id}" for i in items]
        assert all(i.reason for i in items)


def test_failed_post_is_retried_without_doubling(team, settings):
    cmds, target = team
    poster = RecordingPoster(fail_after=2)
    failed = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW)
    assert failed.status == "failed" and "network down" in failed.error
    poster.fail_after = None
    retried = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW + dt.timedelta(minutes=5))
    assert retried.status == "posted"
    assert len(poster.posted) == 5 == len(set(poster.posted))
    assert poster.headers == 1
    with cmds.store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.message_ref == "C1:header" and all(i.message_ref for i in delivery.items)


def test_next_day_never_repeats_a_paper(team, settings):
    cmds, target = team
    poster = RecordingPoster()
    deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW)
    # New papers arrive only through ingestion; make all papers candidates again to test exclusion.
    with cmds.store.session() as s:
        s.execute(Delivery.__table__.update().values(claimed_at=NOW - dt.timedelta(days=30)))
    deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW + dt.timedelta(days=1))
    assert len(poster.posted) == 10 == len(set(poster.posted))


def test_empty_day_posts_nothing_or_a_note(team, settings):
    cmds, target = team
    deliver(cmds.store, cmds.recommender, settings, RecordingPoster(), target, now=NOW)
    # Nothing was ingested since that digest: the next day is empty.
    poster = RecordingPoster()
    out = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW + dt.timedelta(days=1))
    assert out.status == "empty" and poster.headers == 0
    settings.digest.empty_day = "note"
    out = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW + dt.timedelta(days=2))
    assert out.status == "posted" and out.papers == 0 and poster.headers == 1


def test_unreachable_target_is_not_retried(team, settings):
    cmds, target = team
    out = deliver(cmds.store, cmds.recommender, settings, RecordingPoster(unreachable=True), target, now=NOW)
    assert out.status == "unreachable"
    poster = RecordingPoster()
    assert deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW + dt.timedelta(hours=2)).status == "skipped"
    assert poster.posted == []


def test_stale_claim_is_taken_over_but_a_fresh_one_is_not(team, settings):
    cmds, target = team
    day = NOW.date()
    recovery = settings.delivery.recovery_seconds
    assert recovery == 60  # the default: a minute, not ten
    first = claim(cmds.store, target, day, NOW, recovery_seconds=recovery)
    assert first is not None and first.attempt == 1
    assert claim(cmds.store, target, day, NOW + dt.timedelta(seconds=10), recovery_seconds=recovery) is None
    later = NOW + dt.timedelta(seconds=recovery + 1)
    second = claim(cmds.store, target, day, later, recovery_seconds=recovery)
    assert second is not None and (second.delivery_id, second.attempt) == (first.delivery_id, 2)
    assert claim(cmds.store, target, day, later, recovery_seconds=recovery) is None
    with cmds.store.session() as s:  # the first claim time survives the takeover
        delivery = s.scalar(select(Delivery))
        assert (delivery.first_claimed_at, delivery.claimed_at, delivery.heartbeat_at) == (NOW, later, later)


def test_local_day_follows_the_target_timezone(team, settings):
    cmds, target = team
    with cmds.store.session() as s:
        s.scalar(select(Channel)).timezone = "Pacific/Auckland"  # UTC+13 in November
    deliver(cmds.store, cmds.recommender, settings, RecordingPoster(), target, now=dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC))
    with cmds.store.session() as s:
        assert s.scalar(select(Delivery.day)) == dt.date(2026, 11, 23)


class BlockingPoster(RecordingPoster):
    """Posts the header, then waits for ``go`` before the papers (a slow platform, a long rate-limit wait)."""

    def __init__(self):
        super().__init__()
        self.header_posted, self.go = threading.Event(), threading.Event()

    def post(self, post):
        if post.header_ref is None:
            self.headers += 1
            post.posted_header(f"{post.target.ref}:header")
        self.header_posted.set()
        assert self.go.wait(60)
        super().post(post)


def in_thread(fn) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(fn()))
    thread.start()
    return thread, results


def test_a_live_claimant_keeps_its_claim_past_the_recovery_delay(team, settings):
    """Its lease beats every quarter of recovery_seconds: a claim older than the delay is not stale while it beats."""
    cmds, target = team
    settings.delivery.recovery_seconds = 2
    poster = BlockingPoster()
    thread, results = in_thread(lambda: deliver(cmds.store, cmds.recommender, settings, poster, target))
    try:
        assert poster.header_posted.wait(60)
        deadline = time.monotonic() + 60
        while True:  # until the claim itself is older than the recovery delay, kept alive by heartbeats
            with cmds.store.session() as s:
                delivery = s.scalar(select(Delivery))
                age = (delivery.heartbeat_at - delivery.claimed_at).total_seconds()
            if age > 2.5:
                break
            assert time.monotonic() < deadline, "no heartbeat"
            threading.Event().wait(0.05)
        assert claim(cmds.store, target, delivery.day, utcnow(), recovery_seconds=2) is None
    finally:
        poster.go.set()
        thread.join(60)
    assert results[0].status == "posted" and poster.headers == 1 and len(poster.posted) == 5


def test_a_claimant_taken_over_stops_at_its_next_message(team, settings):
    """Presumed dead (no heartbeat for longer than the delay, e.g. a frozen VM), then back: it posts nothing more."""
    cmds, target = team
    poster = BlockingPoster()
    thread, results = in_thread(lambda: deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW))
    assert poster.header_posted.wait(60)
    later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
    taker = claim(cmds.store, target, NOW.date(), later, recovery_seconds=settings.delivery.recovery_seconds)
    poster.go.set()
    thread.join(60)
    assert taker is not None and taker.attempt == 2
    (outcome,) = results
    assert outcome.status == "skipped" and "taken over" in outcome.error
    assert len(poster.posted) == 1  # the message in flight when it noticed, recorded all the same
    with cmds.store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts, delivery.message_ref) == ("claimed", 2, "C1:header")
        assert [i.message_ref for i in delivery.items if i.message_ref] == [f"C1:{poster.posted[0]}"]


def test_no_connection_stays_checked_out_after_a_takeover(team, settings):
    cmds, target = team
    poster = BlockingPoster()  # taken over while it posts: ClaimLost in its next record
    thread, results = in_thread(lambda: deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW))
    assert poster.header_posted.wait(60)
    later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
    assert claim(cmds.store, target, NOW.date(), later, recovery_seconds=settings.delivery.recovery_seconds) is not None
    poster.go.set()
    thread.join(60)
    assert results[0].status == "skipped" and cmds.store.engine.pool.checkedout() == 0


@pytest.mark.parametrize("recovery_seconds", [0, 4000])
def test_a_record_beats_only_when_a_heartbeat_is_due(team, recovery_seconds):
    """No heartbeat thread (recovery 0): every record beats. A long interval: records leave the claim's heartbeat."""
    cmds, target = team
    held = claim(cmds.store, target, NOW.date(), NOW, recovery_seconds=recovery_seconds)
    ticks = iter(NOW + dt.timedelta(seconds=n) for n in range(1, 100))
    with Lease(cmds.store, held, recovery_seconds=recovery_seconds, clock=lambda: next(ticks)) as lease:
        lease.record(HEADER, "C1:header")
        lease.record(HEADER, "C1:header")
    lease.record(HEADER, "C1:header-late")  # a poster's late callback, after the lease ended: its own connection
    with cmds.store.session() as s:
        delivery = s.scalar(select(Delivery))
        beats = 3 if recovery_seconds == 0 else 0
        assert (delivery.message_ref, delivery.heartbeat_at) == ("C1:header-late", NOW + dt.timedelta(seconds=beats))
    assert cmds.store.engine.pool.checkedout() == 0


def test_a_target_deleted_before_its_digest_is_skipped_and_leaves_no_claim(team, settings):
    cmds, target = team
    with cmds.store.session() as s:
        s.delete(s.scalar(select(Channel)))
    poster = RecordingPoster()
    out = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW, day=NOW.date())
    assert out.status == "skipped" and poster.headers == 0
    with cmds.store.session() as s:
        assert s.scalars(select(Delivery)).all() == []


def test_a_connection_the_server_drops_mid_digest_is_replaced(team, settings):
    """The lease's held connection killed by the server between two messages: the next record reconnects."""
    cmds, target = team
    if cmds.store.engine.dialect.name != "postgresql":
        pytest.skip("a server that drops a connection: PostgreSQL only")
    poster = BlockingPoster()
    recorders = []
    poster.post = lambda post, _post=poster.post: (recorders.append(post.recorder), _post(post))[1]
    thread, results = in_thread(lambda: deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW))
    assert poster.header_posted.wait(60)
    held = recorders[0].__self__._connection  # the lease's connection, which recorded the header
    with cmds.store.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": held.connection.dbapi_connection.info.backend_pid})
    poster.go.set()
    thread.join(60)
    assert results[0].status == "posted" and len(poster.posted) == 5
    with cmds.store.session() as s:
        assert all(i.message_ref for i in s.scalar(select(Delivery)).items)


class ConfigurerPoster(RecordingPoster):
    """Records whom each attempt would tell that the channel is unreachable."""

    def __init__(self):
        super().__init__(unreachable=True)
        self.configurers: list[str | None] = []

    def post(self, post):
        self.configurers.append(post.configurer)
        super().post(post)


def test_a_rename_the_platform_reported_does_not_take_the_configurers_place(team, settings):
    """The person who set the channel up is told it is unreachable; a rename Slack reported names nobody."""
    cmds, target = team
    assert cmds.channel_renamed("slack", "T1", "C1", "reading-group")
    poster = ConfigurerPoster()
    outcome = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW)
    assert outcome.status == "unreachable"
    assert poster.configurers == ["U1"]
