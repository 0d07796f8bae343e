"""Exactly once: a process killed between claim and post, a failed post retried, and several
schedulers racing for the same digest (SQLite always, PostgreSQL with PAPERBOT_TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select
from test_scheduler_helpers import RecordingPoster, make_team

from bot.service.digest_jobs import recover, run_digest
from bot.service.scheduler import JobContext, set_context
from recommender.store import Delivery, Store
from recommender.store.models import utcnow

#: The digest day, fixed: the slot day would depend on the wall-clock time the tests run at.
DAY = dt.date(2026, 3, 29)


@pytest.fixture(autouse=True)
def _clear_context():
    yield
    set_context(None)


def deliveries(store) -> list[tuple[str, str, int]]:
    with store.session() as s:
        return [(d.target_kind, d.status, d.attempts) for d in s.scalars(select(Delivery).order_by(Delivery.id))]


@pytest.mark.parametrize("death", [SystemExit, KeyboardInterrupt])
def test_killed_between_claim_and_post_posts_once_after_restart(store, settings, sample_digests, db_url, death):
    team = make_team(store, settings, sample_digests)
    t0 = utcnow()
    dying = RecordingPoster(fail=lambda call, n: death())  # the process dies as the first paper goes out
    with pytest.raises(death):
        run_digest(JobContext(store, settings, {"cli": dying}), "channel", team["channel"], now=t0, day=DAY)
    assert dying.posts == [] and deliveries(store) == [("channel", "claimed", 1)]
    with store.session() as s:  # the header was committed the moment it was accepted
        assert s.scalar(select(Delivery.message_ref)) == f"h:channel:{team['channel']}:{DAY}"

    # Restart: a new process with its own store and poster.
    st = Store(db_url)
    try:
        poster = RecordingPoster()
        ctx = JobContext(st, settings, {"cli": poster})
        fresh = t0 + dt.timedelta(seconds=settings.delivery.recovery_seconds / 2)
        assert recover(ctx, now=fresh) == []  # the claim is fresh: maybe still posting
        assert run_digest(ctx, "channel", team["channel"], now=fresh, day=DAY).status == "skipped"
        later = t0 + dt.timedelta(seconds=settings.delivery.recovery_seconds + 60)
        (outcome,) = recover(ctx, now=later)
        assert outcome.status == "posted" and outcome.papers > 0
        assert recover(ctx, now=later + dt.timedelta(minutes=5)) == []
        assert run_digest(ctx, "channel", team["channel"], now=later, day=DAY).status == "skipped"
        assert len(dying.headers) == 1 and poster.headers == []  # resumed under the header already posted
        assert len(poster.posts) == outcome.papers == len(set(poster.posts))
        assert deliveries(st) == [("channel", "posted", 2)]
    finally:
        st.dispose()


def test_a_failed_post_is_retried_after_backoff_without_doubling(store, settings, sample_digests):
    team = make_team(store, settings, sample_digests)
    t0 = utcnow()
    # The chat API fails after the second paper of the first attempt.
    poster = RecordingPoster(fail=lambda call, n: ConnectionError("chat API down") if call == 1 and n == 2 else None)
    ctx = JobContext(store, settings, {"cli": poster})
    first = run_digest(ctx, "member", team["member"], now=t0, day=DAY)
    assert first.status == "failed" and len(poster.posts) == 2
    assert recover(ctx, now=t0 + dt.timedelta(seconds=30)) == []  # backoff: not yet
    (retry,) = recover(ctx, now=t0 + dt.timedelta(minutes=2))
    assert retry.status == "posted"
    assert len(poster.posts) == first.papers == len(set(poster.posts))  # each paper once
    assert len(poster.headers) == 1  # the half-posted digest's header is not posted again
    assert deliveries(store) == [("member", "posted", 2)]


def test_a_retry_outside_the_grace_window_is_left_alone(store, settings, sample_digests):
    team = make_team(store, settings, sample_digests)
    t0 = utcnow()
    broken = RecordingPoster(fail=lambda call, n: ConnectionError("down"))
    run_digest(JobContext(store, settings, {"cli": broken}), "member", team["member"], now=t0, day=DAY)
    ctx = JobContext(store, settings, {"cli": RecordingPoster()})
    assert recover(ctx, now=t0 + dt.timedelta(days=1)) == []
    assert deliveries(store) == [("member", "failed", 1)]


def test_schedulers_racing_for_the_same_digest_post_it_once(store, settings, sample_digests, db_url):
    """Four schedulers (own engine each) fire the same digests at the same instant."""
    team = make_team(store, settings, sample_digests)
    n = 4
    barrier = threading.Barrier(n)
    now = utcnow()
    posters = [RecordingPoster() for _ in range(n)]
    outcomes: list[list[str]] = [[] for _ in range(n)]
    errors: list[BaseException] = []

    def scheduler(i: int) -> None:
        st = Store(db_url, migrate=False)
        try:
            ctx = JobContext(st, settings, {"cli": posters[i]})
            for kind in ("channel", "member"):
                barrier.wait(timeout=30)
                outcomes[i].append(run_digest(ctx, kind, team[kind], now=now, day=DAY).status)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            st.dispose()

    threads = [threading.Thread(target=scheduler, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    statuses = [s for out in outcomes for s in out]
    assert statuses.count("posted") == 2 and statuses.count("skipped") == 2 * (n - 1)
    headers = [h for p in posters for h in p.headers]
    posts = [x for p in posters for x in p.posts]
    assert sorted(h[0] for h in headers) == ["channel", "member"]
    assert len(posts) == len(set(posts)) > 0
    assert sorted(deliveries(store)) == [("channel", "posted", 1), ("member", "posted", 1)]
