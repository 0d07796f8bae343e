"""No digest lost: real ``paperbot run`` processes killed, stopped and cut off from the database
mid-window, on SQLite and PostgreSQL (with PAPERBOT_TEST_DATABASE_URL). Small versions of the bars
of ``benchmarks/digest_survival.py``; each bounded by count and time."""

from __future__ import annotations

import random
import re
import socket

import pytest
from service_harness import BotProcess, TcpProxy, deliveries, finished, resumed_only, seed, tally, wait_until

#: Seconds a run may take to post what is due (the machine is shared; a pass takes a fraction of it).
BOUND = 120
LEFT = re.compile(r'event="(\d+) digests left; the next start posts them"')


def _posted_once(counts, names, allowed_twice=frozenset()) -> None:
    assert set(counts) == set(names), f"never posted: {sorted(set(names) - set(counts))}"
    twice = {name for name, n in counts.items() if n > 1}
    assert twice <= allowed_twice, f"posted twice: {sorted(twice - allowed_twice)}"


def test_sigkill_mid_window_then_restart_posts_every_digest(db_url, tmp_path, sample_digests):
    """Killed with SIGKILL after a random number of digests, then restarted: every digest of the day
    is posted (its header printed, or its papers under "(continued)" when the kill fell between the
    header's record and its print); none twice, except a digest whose post was under way at the kill
    (its claim is taken over once stale; resuming it without repeats is bot.delivery's, see tests/test_delivery.py)."""
    rng = random.Random()
    seed_value = rng.randrange(10**6)
    rng.seed(seed_value)
    n = 20
    names = seed(db_url, n, sample_digests)
    first = BotProcess(db_url, tmp_path / "run")
    kill_after = rng.randint(1, n // 2)
    assert first.wait_for(lambda b: len(b.headers) >= kill_after, BOUND), first.text()[-3000:]
    first.kill()
    by_id = {i: name for name, i in names.items()}
    in_flight = {by_id[i] for i, (status, _) in deliveries(db_url).items() if status == "claimed"}

    second = BotProcess(db_url, tmp_path / "run")
    try:
        assert wait_until(lambda: finished(db_url, n), BOUND), f"seed {seed_value}: {deliveries(db_url)}"
    finally:
        assert second.terminate() == 0
    # a kill between a header's record and its print leaves the header unprinted (never twice): the
    # takeover prints that digest's papers under "(continued)", and it was posted once all the same
    counts = tally(first, second)
    counts.update(resumed_only(first, second))
    _posted_once(counts, names, allowed_twice=in_flight)
    assert "Traceback" not in second.text()


def test_sigterm_with_more_queued_than_the_shutdown_allows(db_url, tmp_path, sample_digests):
    """SIGTERM two digests into a window of 30 with one worker: the posts under way finish, the exit
    line counts the digests left, no job runs without its context, and the next start posts exactly
    the rest."""
    n = 30
    names = seed(db_url, n, sample_digests)
    first = BotProcess(db_url, tmp_path / "run", workers=1, shutdown_seconds=5)
    assert first.wait_for(lambda b: len(b.headers) >= 2, BOUND), first.text()[-3000:]
    assert first.terminate(60) == 0
    log = first.text()
    posted = sum(status == "posted" for status, _ in deliveries(db_url).values())
    (left,) = map(int, LEFT.findall(log))
    assert 0 < left == n - posted and posted == len(first.headers)
    assert "no JobContext" not in log and "Traceback" not in log
    assert not any(status == "claimed" for status, _ in deliveries(db_url).values())  # nothing half-done

    second = BotProcess(db_url, tmp_path / "run")
    try:
        assert wait_until(lambda: finished(db_url, n), BOUND), deliveries(db_url)
    finally:
        assert second.terminate() == 0
    assert len(second.headers) == left
    _posted_once(tally(first, second), names)


def test_a_second_scheduler_on_the_database_is_warned_about(db_url, tmp_path):
    """A second ``paperbot run`` on a database whose scheduler is alive logs a WARNING naming it (host, pid)
    and what to do, and still starts. After a kill -9, a restart on the same host within the heartbeat's
    tolerance finds the dead process gone: no warning, one INFO line."""
    first = BotProcess(db_url, tmp_path / "one", sync_seconds=30)  # a heartbeat fresh for 65 s
    second = None
    try:
        assert first.wait_for(lambda b: b.logged('event="scheduler running"'), BOUND), first.text()[-3000:]
        second = BotProcess(db_url, tmp_path / "two", sync_seconds=30)
        assert second.wait_for(lambda b: b.logged('event="scheduler running"'), BOUND), second.text()[-3000:]
    finally:
        for bot in (second, first):
            if bot is not None:
                bot.kill()
    warned = [line for line in second.log if "another scheduler is running on this database" in line]
    assert len(warned) == 1 and "level=warning" in warned[0], second.text()[-3000:]
    assert f"other_pid={first.proc.pid}" in warned[0] and f"other_host={socket.gethostname()}" in warned[0]
    assert "paperbot run" in warned[0] and "stop one of them" in warned[0]
    assert not first.logged("another scheduler")

    # The second kept the first's sync job (owner and all): its heartbeat is still fresh, its process gone.
    third = BotProcess(db_url, tmp_path / "three", sync_seconds=30)
    try:
        assert third.wait_for(lambda b: b.logged('event="scheduler running"'), BOUND), third.text()[-3000:]
    finally:
        assert third.terminate() == 0
    assert not third.logged("another scheduler")
    gone = [line for line in third.log if 'event="previous scheduler gone"' in line]
    assert len(gone) == 1 and f"other_pid={first.proc.pid}" in gone[0] and "level=info" in gone[0]


def test_run_once_honours_sigterm(tmp_path, sample_digests):
    """``run --once`` stops after the digest under way on SIGTERM (exit 1, the rest counted as left);
    the next ``--once`` posts the rest, none twice. (SQLite only: nothing here depends on the backend.)"""
    db_url = f"sqlite:///{tmp_path / 'once.db'}"
    n = 20
    names = seed(db_url, n, sample_digests)
    first = BotProcess(db_url, tmp_path / "run", once=True)
    assert first.wait_for(lambda b: len(b.headers) >= 2, BOUND), first.text()[-3000:]
    assert first.terminate(60) == 1
    (left,) = map(int, LEFT.findall(first.text()))
    assert left > 0 and len(first.headers) + left == n

    second = BotProcess(db_url, tmp_path / "run", once=True)
    assert second.wait(BOUND) == 0, second.text()[-3000:]
    assert finished(db_url, n)
    _posted_once(tally(first, second), names)


def test_database_outage_mid_window_posts_every_digest_once(db_url, tmp_path, sample_digests):
    """Every connection to PostgreSQL dropped (and new ones refused) for a few seconds, two digests
    into the window: the bot stays up, logs each database error whole, and once the database is back
    every digest is posted exactly once (30 s: benchmarks/digest_survival.py)."""
    if db_url.startswith("sqlite"):
        pytest.skip("a TCP proxy needs a database server: PostgreSQL only")
    outage = 4.0
    n = 30
    names = seed(db_url, n, sample_digests)
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxied = db_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}", 1)
    assert proxied != db_url
    bot = BotProcess(proxied, tmp_path / "run")
    try:
        assert bot.wait_for(lambda b: len(b.headers) >= 2, BOUND), bot.text()[-3000:]
        proxy.down()
        assert bot.wait_for(lambda b: b.logged("database error, retrying"), 30), bot.text()[-3000:]
        bot.wait_for(lambda b: False, outage)  # the outage lasts `outage` seconds
        proxy.up()
        assert wait_until(lambda: finished(db_url, n), BOUND), deliveries(db_url)
        assert bot.proc.poll() is None  # stayed up through the outage
    finally:
        proxy.up()
        code = bot.terminate()
        proxy.close()
    assert code == 0
    # a header whose record committed as the connection dropped is never printed (never twice): its
    # papers are, under "(continued)"; that digest was posted once all the same
    counts = tally(bot)
    counts.update(resumed_only(bot))
    _posted_once(counts, names)
    errors = [line for line in bot.log if "database error, retrying" in line]
    assert all("OperationalError (psycopg" in line for line in errors), errors[:3]
    assert "Background on this error" not in "".join(errors)


@pytest.mark.parametrize("stopped", ["second", "first"])
def test_stopping_one_of_two_schedulers_leaves_the_other_syncing(db_url, tmp_path, sample_digests, stopped):
    """Two ``paperbot run`` on one database by mistake; one is stopped cleanly (SIGTERM). The other goes on
    syncing: channels set up afterwards get their digests, and ``paperbot status`` says it runs."""
    from bot.service.status import collect_status
    from bot.settings import ServiceSettings, Settings
    from recommender.store import Store

    first = BotProcess(db_url, tmp_path / "one")
    second = None
    try:
        assert first.wait_for(lambda b: b.logged('event="scheduler running"'), BOUND), first.text()[-3000:]
        second = BotProcess(db_url, tmp_path / "two")
        assert second.wait_for(lambda b: b.logged('event="scheduler running"'), BOUND), second.text()[-3000:]
        assert second.logged("another scheduler is running on this database")
        survivor, gone = (first, second) if stopped == "second" else (second, first)
        assert gone.terminate() == 0
        names = seed(db_url, 3, sample_digests)  # due now: only a running sync finds them
        posted = survivor.wait_for(lambda b: set(names) <= set(b.headers), BOUND)
        assert posted, f"the survivor never synced again:\n{survivor.text()[-3000:]}"
        store = Store(db_url, migrate=False)
        try:
            health = collect_status(store, Settings(data_dir=tmp_path, service=ServiceSettings(sync_seconds=1)))
        finally:
            store.dispose()
        assert health["job_store"]["scheduler_state"] == "running"
    finally:
        for bot in (second, first):
            if bot is not None and bot.proc.poll() is None:
                bot.terminate()
    _posted_once(tally(first, second), names)
