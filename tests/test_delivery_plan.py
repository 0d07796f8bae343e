"""A day's digests ranked together (bot.delivery.plan): the same picks as alone, each target's own bound,
and the plan never overrides what the claim decides (seen papers, retries, digests already held)."""

import datetime as dt

import pytest
from sqlalchemy import select, update
from test_scheduler_helpers import RecordingPoster, who

from bot.commands import NEGATIVE, Commands
from bot.delivery import DeliveryTarget, DigestPlan, deliver
from bot.delivery.plan import since_groups
from recommender.store import Delivery, Member, Paper
from recommender.store.models import utcnow

NOW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
INTERESTS = ["graph neural networks", "quantization and pruning", "diffusion models for images",
             "reinforcement learning from human feedback", "speech recognition", "zero-shot learning"]


@pytest.fixture
def readers(papers_store, settings):
    """Six subscribed readers of one workspace, each with a digest posted before the papers arrived."""
    cmds = Commands(papers_store, settings)
    yesterday = NOW - dt.timedelta(days=2)
    with papers_store.session() as s:
        for n, interest in enumerate(INTERESTS):
            member = cmds.member(s, who(f"reader{n}"))
            member.interests, member.subscribed, member.timezone = [interest], True, "UTC"
            s.flush()
            s.add(Delivery(target_kind="member", target_id=member.id, day=yesterday.date(), status="posted",
                           claimed_at=yesterday, attempts=1, platform="cli"))
    with papers_store.session() as s:
        targets = [DeliveryTarget.of(m) for m in s.scalars(select(Member).order_by(Member.id))]
    return cmds, targets


def alone(cmds, target, since):
    with cmds.store.session() as s:
        row = s.get(Member, target.id)
        return cmds.recommender.picks(s, [row], row.digest_size, since=since, now=NOW)[0]


def taken(cmds, plan, target, since):
    with cmds.store.session() as s:
        return plan.take(s, target, since, s.get(Member, target.id).digest_size)


def test_ranked_together_each_target_gets_the_picks_it_gets_alone(readers):
    cmds, targets = readers
    since = NOW - dt.timedelta(days=2)
    expected = [alone(cmds, t, since) for t in targets]
    plan = DigestPlan(cmds.store, cmds.recommender, now=NOW)
    assert plan.prepare([(t.kind, t.id, NOW.date()) for t in targets]) == len(targets)
    for target, picks in zip(targets, expected, strict=True):
        got = taken(cmds, plan, target, since)
        assert got is not None
        assert [(p.paper_id, p.reason) for p in got] == [(p.paper_id, p.reason) for p in picks]
        assert [p.score for p in got] == pytest.approx([p.score for p in picks], rel=1e-5)
    assert len({tuple(p.paper_id for p in picks) for picks in expected}) > 1  # the readers do differ
    assert taken(cmds, plan, targets[0], since) is None  # a plan hands each target's picks out once


def test_each_target_keeps_its_own_last_digest_as_bound(readers):
    cmds, targets = readers
    # Both before the wall clock, whenever the suite runs: the plan notes the wall clock as it reads its candidates
    # and declines if a paper was first seen after it. NOW is noon UTC tomorrow, 12 to 36 h ahead, so late + 1 h
    # is at least 9 h ago (NOW - 30 h and NOW - 26 h were in the future before 11:00 UTC).
    early, late = NOW - dt.timedelta(hours=50), NOW - dt.timedelta(hours=46)
    with cmds.store.session() as s:
        ids = sorted(s.scalars(select(Paper.id)))
        newer = set(ids[::2])
        s.execute(update(Paper).values(first_seen=early + dt.timedelta(hours=1)))
        s.execute(update(Paper).where(Paper.id.in_(newer)).values(first_seen=late + dt.timedelta(hours=1)))
        s.execute(update(Delivery).where(Delivery.target_id == targets[1].id).values(claimed_at=late))
        s.execute(update(Delivery).where(Delivery.target_id != targets[1].id).values(claimed_at=early))
    plan = DigestPlan(cmds.store, cmds.recommender, now=NOW)
    assert plan.prepare([(t.kind, t.id, NOW.date()) for t in targets]) == len(targets)
    later_reader = taken(cmds, plan, targets[1], late)
    assert later_reader and {p.paper_id for p in later_reader} <= newer
    # the same papers; their order may differ (the newest-first prior spans the group's candidates)
    assert {p.paper_id for p in later_reader} == {p.paper_id for p in alone(cmds, targets[1], late)}
    earlier_reader = taken(cmds, plan, targets[0], early)
    assert earlier_reader and {p.paper_id for p in earlier_reader} - newer  # older papers are still its candidates


def test_a_planned_paper_rated_since_is_not_posted(readers, settings):
    cmds, targets = readers
    plan = DigestPlan(cmds.store, cmds.recommender, now=NOW)
    plan.prepare([(t.kind, t.id, NOW.date()) for t in targets])
    planned = alone(cmds, targets[0], NOW - dt.timedelta(days=2))
    cmds.feedback(who("reader0"), planned[0].paper_id, NEGATIVE)
    poster = RecordingPoster()
    out = deliver(cmds.store, cmds.recommender, settings, poster, targets[0], now=NOW, plan=plan)
    posted = [paper for *_, paper in poster.posts]
    assert out.status == "posted" and len(posted) == len(planned)
    assert planned[0].paper_id not in posted


def test_a_digest_only_claimed_is_planned_and_one_done_or_holding_its_papers_is_not(readers):
    """A posting thread may claim its digest before the plan it waits for reads the targets."""
    from recommender.store import DeliveryItem

    cmds, targets = readers
    day = NOW.date()
    with cmds.store.session() as s:
        s.add(Delivery(target_kind="member", target_id=targets[0].id, day=day, status="claimed", claimed_at=NOW, attempts=1))
        s.add(Delivery(target_kind="member", target_id=targets[1].id, day=day, status="posted", claimed_at=NOW, attempts=1))
        holding = Delivery(target_kind="member", target_id=targets[2].id, day=day, status="claimed", claimed_at=NOW,
                           attempts=2)
        s.add(holding)
        s.flush()
        paper_id = s.scalars(select(Paper.id).limit(1)).one()
        s.add(DeliveryItem(delivery_id=holding.id, paper_id=paper_id, position=0, score=1.0, reason="", platform="cli"))
    plan = DigestPlan(cmds.store, cmds.recommender, now=NOW)
    assert plan.prepare([(t.kind, t.id, day) for t in targets]) == len(targets) - 2
    since = NOW - dt.timedelta(days=2)
    assert taken(cmds, plan, targets[0], since) is not None  # its holder takes the planned picks
    assert taken(cmds, plan, targets[1], since) is None and taken(cmds, plan, targets[2], since) is None


def test_a_retry_posts_the_first_attempts_papers_and_a_later_plan_leaves_it_alone(readers, settings):
    cmds, targets = readers
    day = NOW.date()
    plan = DigestPlan(cmds.store, cmds.recommender, now=NOW)
    plan.prepare([(targets[0].kind, targets[0].id, day)])
    failing = RecordingPoster(fail=lambda call, posted: ConnectionError("network down") if posted >= 2 else None)
    assert deliver(cmds.store, cmds.recommender, cmds.settings, failing, targets[0], now=NOW, plan=plan).status == "failed"
    later = DigestPlan(cmds.store, cmds.recommender, now=NOW + dt.timedelta(minutes=5))
    assert later.prepare([(t.kind, t.id, day) for t in targets]) == len(targets) - 1  # its delivery row is held already
    poster = RecordingPoster()
    out = deliver(cmds.store, cmds.recommender, cmds.settings, poster, targets[0], now=NOW + dt.timedelta(minutes=5),
                  plan=later)
    assert out.status == "posted"
    first, rest = [p for *_, p in failing.posts], [p for *_, p in poster.posts]
    with cmds.store.session() as s:
        recorded = [i.paper_id for i in s.scalar(select(Delivery).where(Delivery.day == day)).items]
    assert first + rest == recorded and len(set(recorded)) == len(recorded) == 5 and len(first) == 2


def test_planned_picks_are_not_taken_from_another_bound_or_size_or_once_a_paper_arrived(readers):
    cmds, targets = readers
    since = NOW - dt.timedelta(days=2)
    plan = DigestPlan(cmds.store, cmds.recommender, now=NOW)
    plan.prepare([(t.kind, t.id, NOW.date()) for t in targets])
    with cmds.store.session() as s:
        size = s.get(Member, targets[0].id).digest_size
        assert plan.take(s, targets[0], since + dt.timedelta(hours=1), size) is None  # its last digest moved on
        assert plan.take(s, targets[1], since, size + 1) is None  # its size changed
        assert plan.take(s, targets[2], since, size) is not None
        s.add(Paper(title_key="late arrival", title="Late arrival", abstract="graph neural networks", authors=[],
                    source_kind="hf_api", first_seen=utcnow()))
        s.flush()  # a paper the plan never saw: neither this digest's candidate nor the next one's
        assert plan.take(s, targets[3], since, size) is None


def test_one_bound_per_target_and_none_among_them(readers):
    cmds, targets = readers
    with cmds.store.session() as s:
        rows = [s.get(Member, t.id) for t in targets[:3]]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # after every paper: nothing is new for it
        picks = cmds.recommender.picks(s, rows, 5, since=[None, later, NOW - dt.timedelta(days=2)], now=NOW)
        assert len(picks[0]) == 5 and picks[1] == [] and len(picks[2]) == 5
        with pytest.raises(ValueError, match="2 bounds for 3 targets"):
            cmds.recommender.picks(s, rows, 5, since=[None, later], now=NOW)


def test_targets_whose_last_digests_are_a_day_apart_share_a_ranking():
    t = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    bounds = {("member", 1): t, ("channel", 1): t - dt.timedelta(hours=23), ("member", 2): t - dt.timedelta(hours=25),
              ("member", 3): t - dt.timedelta(days=30), ("member", 4): None, ("member", 5): None}
    assert since_groups(bounds) == [[("member", 1), ("channel", 1)], [("member", 2)], [("member", 3)],
                                    [("member", 4), ("member", 5)]]
    assert since_groups({}) == []


@pytest.mark.strict_logs
def test_digests_queued_at_one_slot_are_ranked_together_by_the_posting_threads(readers, caplog):
    """The path of ``paperbot run``: digests waiting for the threads are ranked in one plan, each posted once."""
    from bot.service.context import JobContext
    from bot.service.workers import DigestWorkers

    cmds, targets = readers
    with cmds.store.session() as s:
        for member in s.scalars(select(Member)):
            member.digest_time = "00:00"  # its slot of today has passed
    since = NOW - dt.timedelta(days=2)
    expected = {t.id: [p.paper_id for p in alone(cmds, t, since)] for t in targets}
    poster = RecordingPoster()
    ctx = JobContext(cmds.store, cmds.settings, {"cli": poster}, [], recommender=cmds.recommender)
    workers = DigestWorkers(ctx, threads=2)
    workers.submit([(t.kind, t.id, None) for t in targets])
    workers.start()
    try:
        assert workers.wait_idle(60)
    finally:
        workers.close(10)
    posted: dict[int, list[int]] = {}
    for _, target_id, _, paper in poster.posts:
        posted.setdefault(target_id, []).append(paper)
    assert posted == expected
    plans = [r for r in caplog.records if r.getMessage() == "digests planned"]
    assert [r.targets for r in plans] == [len(targets)]
