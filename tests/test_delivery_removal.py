"""A channel removed while its digest is claimed and being posted: the delivery stops cleanly.

Two threads on the store, coordinated by events: one delivers the channel's digest, the other runs
``channels remove`` (the command layer's removal, :func:`bot.commands.rows.delete_target`) at a chosen moment.
"""

import datetime as dt
import threading

import pytest
from sqlalchemy import event, func, select

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget, deliver
from recommender.store import Channel, Delivery, DeliveryItem, Mention

NOW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
KIM = Caller("slack", "T1", "U2", display_name="kim", channel_ref="C1", channel_name="reading")


class Poster:
    """A platform that accepts every message; ``between`` runs after the header is accepted, before the papers."""

    platform = "slack"

    def __init__(self, store, between=lambda: None):
        self.store = store
        self.between = between
        self.messages: list[str] = []
        self.after_removal = 0  # messages accepted once the removal was committed

    def _accept(self, message: str) -> None:
        with self.store.session() as s:
            self.after_removal += s.scalar(select(func.count()).select_from(Channel)) == 0
        self.messages.append(message)

    def post(self, post):
        if post.header_ref is None:
            self._accept("header")
            post.posted_header("C1:header")
        self.between()
        for _, pick in post.unposted():
            self._accept(f"paper {pick.paper_id}")
            post.posted_paper(pick.paper_id, f"C1:{pick.paper_id}")


@pytest.fixture
def team(papers_store, settings):
    cmds = Commands(papers_store, settings)
    cmds.channel_setup(ADA, size=3, topic="graph neural networks")
    cmds.interests_add(KIM, "graph neural networks")
    cmds.handle(KIM, "mentions me on")
    cmds.handle(ADA, "mentions on")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    return cmds, target


def left_behind(store) -> dict[str, int]:
    with store.session() as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (Channel, Delivery, DeliveryItem, Mention)}


def in_thread(fn):
    results: list = []
    thread = threading.Thread(target=lambda: results.append(fn()))
    thread.start()
    return thread, results


def test_a_channel_removed_while_its_digest_is_posted_stops_it_cleanly(team, settings):
    """The removal commits after the header was accepted: the next message finds the claim gone, the delivery
    ends `skipped` (no crash), and nothing of the digest is left behind."""
    cmds, target = team
    removed = []
    poster = Poster(cmds.store, between=lambda: removed.append(cmds.channel_remove(ADA)))
    outcome = deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW, day=NOW.date())
    assert removed[0].ok
    assert (outcome.status, outcome.error) == ("skipped", "target removed while it was posted")
    assert poster.messages[0] == "header" and len(poster.messages) == 2
    assert poster.after_removal == 1  # the paper in flight when it noticed; none after it
    assert left_behind(cmds.store) == {"channels": 0, "deliveries": 0, "delivery_items": 0, "mentions": 0}
    assert cmds.store.engine.pool.checkedout() == 0


def test_a_channel_removed_while_its_digest_is_composed_waits_for_it_and_leaves_nothing(team, settings):
    """The removal starts while the delivery writes its papers and mentions: it waits for that transaction and
    takes them with the channel (no foreign-key error, no orphan rows). The delivery then stops at its next
    message (or, when the removal got the database only after the last message, had posted it all)."""
    cmds, target = team
    composing, removal_started = threading.Event(), threading.Event()

    def pause_at_the_papers(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO DELIVERY_ITEMS") and not composing.is_set():
            composing.set()
            assert removal_started.wait(60)

    event.listen(cmds.store.engine, "before_cursor_execute", pause_at_the_papers)
    try:
        poster = Poster(cmds.store)
        thread, results = in_thread(
            lambda: deliver(cmds.store, cmds.recommender, settings, poster, target, now=NOW, day=NOW.date()))
        assert composing.wait(60)
        remover, removed = in_thread(lambda: (removal_started.set(), cmds.channel_remove(ADA))[1])
        remover.join(120)
        thread.join(120)
    finally:
        event.remove(cmds.store.engine, "before_cursor_execute", pause_at_the_papers)
    assert removed[0].ok
    (outcome,) = results
    assert (outcome.status, outcome.error) in (("skipped", "target removed while it was posted"), ("posted", None))
    assert poster.after_removal <= 1  # at most the message in flight when the removal committed
    assert left_behind(cmds.store) == {"channels": 0, "deliveries": 0, "delivery_items": 0, "mentions": 0}
