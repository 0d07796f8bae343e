"""An Events API callback is never lost once Slack got its ``200``: kept before Bolt answers, settled with its
effect, dispatched again by the next process when the one that answered died first (``bot/slack/inbox.py``).

The "kill" here is real work never done: Bolt's listener pool of the first app discards what it is given, as a
process killed right after Bolt answered would (its listener thread never ran), or the effect's transaction
fails at the database. The restart is a new command layer and Bolt app on the same database, three minutes on.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import Executor, Future

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    app_gone_event,
    bolt_request,
    channel_rename_event,
    file_shared_event,
    papers_command,
    reaction_event,
    signed_headers,
)
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import select, text
from test_slack_retries import LIBRARY, NOW, http_post, likes, skipped

from bot.commands import Caller, Commands
from bot.commands.incoming import MAX_REPLAYS, REPLAY_AFTER
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.http import serve_http
from bot.slack.inbox import REPLAY_HEADER, replay_due
from bot.slack.poster import SlackPoster
from recommender.store import Channel, Delivery, DeliveryItem, Feedback, IncomingEvent, Member

pytestmark = pytest.mark.strict_logs

SECRETS = Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)


class KilledPool(Executor):
    """Bolt's listener pool in a process killed just after Bolt answered: what it is given never runs."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return Future()


def killed_after_answer(commands: Commands, settings) -> App:
    """The app of a process that answers events (as ``paperbot run`` does, before its listeners) and dies."""
    app = build_app(commands, settings, secrets=SECRETS)
    app.listener_runner.listener_executor = KilledPool()
    return app


def later(commands: Commands, settings, after: dt.timedelta = REPLAY_AFTER + dt.timedelta(minutes=1)):
    """``(commands, app)`` of the next process on the same database, its clock ``after`` on."""
    restarted = Commands(commands.store, settings, clock=lambda: dt.datetime.now(dt.UTC) + after)
    return restarted, build_app(restarted, settings, secrets=SECRETS, process_before_response=True)


@pytest.fixture
def digest(slack_bolt, slack_fake, settings):
    """A channel digest posted in C1: ``(header ref, first paper's message ref)``."""
    commands, app = slack_bolt
    papers_command(app, slack_fake, "channel setup 09:30 UTC 3 graph neural networks")
    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert deliver(commands.store, commands.recommender, settings, SlackPoster(app.client), target, now=NOW).status == "posted"
    with commands.store.session() as s:
        return s.scalar(select(Delivery.message_ref)), s.scalars(select(DeliveryItem.message_ref)).first()


def kept(store) -> list[tuple[str, str, int]]:
    with store.session() as s:
        return [tuple(r) for r in s.execute(select(IncomingEvent.event_id, IncomingEvent.kind, IncomingEvent.replays)
                                            .order_by(IncomingEvent.received_at))]


def test_a_reaction_answered_then_killed_is_applied_by_the_next_process_once(slack_bolt, slack_fake, settings, digest,
                                                                            caplog):
    commands, _ = slack_bolt
    _, paper = digest
    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0KILLED")
    assert killed_after_answer(commands, settings).dispatch(bolt_request(added)).status == 200
    assert likes(commands.store, "U2") == 0 and kept(commands.store) == [("Ev0KILLED", "reaction_added", 0)]

    nxt, app = later(commands, settings, after=dt.timedelta(seconds=30))
    assert replay_due(app, nxt) == 0  # received half a minute ago: maybe still in a listener of another process
    nxt, app = later(commands, settings)
    assert replay_due(app, nxt) == 1
    assert likes(commands.store, "U2") == 1 and kept(commands.store) == []
    assert [(r.event_id, r.replay) for r in caplog.records if r.getMessage() == "slack event replayed"] == [("Ev0KILLED", 1)]
    # Slack's own retry of it (its answer was late) and a later start do nothing more
    assert app.dispatch(bolt_request(added, retry=1)).status == 200
    assert replay_due(*later(commands, settings, after=dt.timedelta(hours=1))[::-1]) == 0
    assert likes(commands.store, "U2") == 1 and kept(commands.store) == []
    assert skipped(caplog) == [("slack event already handled", "Ev0KILLED", 1, "http_timeout")]


def test_a_slack_retry_before_the_replay_does_it_and_the_replay_finds_nothing(slack_bolt, slack_fake, settings):
    commands, app = slack_bolt
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    event = file_shared_event("F1", event_id="Ev0RETRIED")
    assert killed_after_answer(commands, settings).dispatch(bolt_request(event)).status == 200
    assert app.dispatch(bolt_request(event, retry=1)).status == 200  # the effect's transaction settles it
    assert kept(commands.store) == [] and likes(commands.store) == 2
    assert replay_due(*later(commands, settings)[::-1]) == 0
    assert len(slack_fake.posts("DU1")) == 1 and len(slack_fake.of("download")) == 1


def test_a_delivery_that_found_the_event_done_or_nothing_to_do_settles_it(slack_bolt, slack_fake, settings, digest):
    commands, app = slack_bolt
    header, paper = digest
    rename = channel_rename_event("C9", "elsewhere", event_id="Ev0NOCHANNEL")  # a channel paperbot does not serve
    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0DONE")
    for event in (rename, added, added):
        assert app.dispatch(bolt_request(event)).status == 200
    people = reaction_event("reaction_added", "+1", "C1:1699999999.000100", user="U5", item_user="U1")
    smile = reaction_event("reaction_added", "smile", paper, user="U2")
    elsewhere = file_shared_event("F1", channel="C1", event_id="Ev0CHANNELFILE")
    for event in (people, smile, elsewhere):  # read about only, or not at all: never even kept
        assert app.dispatch(bolt_request(event)).status == 200
    assert kept(commands.store) == []
    assert replay_due(*later(commands, settings)[::-1]) == 0
    assert likes(commands.store, "U2") == 1


def test_an_upload_whose_import_failed_is_imported_by_a_replay_once(slack_bolt, slack_fake, settings, strict_logs, caplog):
    """The effect's transaction fails at the database (the feedback table is gone): the person is told "Sorry…",
    and the event stays kept; dispatched again once the database is back, it imports and answers, once."""
    commands, app = slack_bolt
    strict_logs.allow("library import failed")
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    event = file_shared_event("F1", event_id="Ev0FAILED")
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE feedback RENAME TO feedback_gone"))
    assert app.dispatch(bolt_request(event)).status == 200
    assert kept(commands.store) == [("Ev0FAILED", "file_shared", 0)]
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE feedback_gone RENAME TO feedback"))
    nxt, again = later(commands, settings)
    assert replay_due(again, nxt) == 1
    assert replay_due(again, nxt) == 0  # counted as dispatched again: not again before its wait is over
    assert app.dispatch(bolt_request(event, retry=2)).status == 200  # Slack's retry, after the replay
    answers = [p.params["text"] for p in slack_fake.posts("DU1")]
    assert len(answers) == 2 and "went wrong" in answers[0].lower() and "Imported 2 entries" in answers[1]
    assert likes(commands.store) == 2 and kept(commands.store) == []


def test_an_event_failing_every_time_is_dropped_after_its_replays(slack_bolt, slack_fake, settings, strict_logs, caplog):
    commands, app = slack_bolt
    papers_command(app, slack_fake, "channel setup 09:30 UTC 3 graph neural networks")
    with commands.store.session() as s:  # the rename's transaction fails at its change log
        s.execute(text("ALTER TABLE channel_changes RENAME TO channel_changes_gone"))
    rename = channel_rename_event("C1", "journal-club", event_id="Ev0ALWAYSFAILS")
    assert app.dispatch(bolt_request(rename)).status == 200
    for n in range(1, MAX_REPLAYS + 2):
        assert replay_due(*later(commands, settings, after=n * (REPLAY_AFTER + dt.timedelta(seconds=1)))[::-1]) == (
            1 if n <= MAX_REPLAYS else 0)
    assert kept(commands.store) == []
    failed = [r for r in caplog.records if r.getMessage() == "channel rename failed"]
    dropped = [(r.event_id, r.kind, r.replays) for r in caplog.records if r.getMessage() == "slack event dropped"]
    assert len(failed) == 1 + MAX_REPLAYS and dropped == [("Ev0ALWAYSFAILS", "channel_rename", MAX_REPLAYS)]
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE channel_changes_gone RENAME TO channel_changes"))
        assert s.scalar(select(Channel.name)) == "papers"


def test_an_event_kept_longer_than_a_day_is_dropped_not_replayed(slack_bolt, slack_fake, settings, digest, caplog):
    commands, _ = slack_bolt
    _, paper = digest
    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0STALE")
    assert killed_after_answer(commands, settings).dispatch(bolt_request(added)).status == 200
    assert replay_due(*later(commands, settings, after=dt.timedelta(days=1, minutes=1))[::-1]) == 0
    assert kept(commands.store) == [] and likes(commands.store, "U2") == 0
    assert [r.event_id for r in caplog.records if r.getMessage() == "slack event dropped"] == ["Ev0STALE"]


def test_an_event_that_cannot_be_kept_is_answered_500_so_slack_sends_it_again(slack_bolt, slack_fake, digest, strict_logs):
    commands, app = slack_bolt
    _, paper = digest
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE incoming_events RENAME TO incoming_gone"))
    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0UNKEPT")
    assert app.dispatch(bolt_request(added)).status == 500
    assert likes(commands.store, "U2") == 0  # no listener ran
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE incoming_gone RENAME TO incoming_events"))
    assert app.dispatch(bolt_request(added, retry=1, reason="http_error")).status == 200
    assert likes(commands.store, "U2") == 1 and kept(commands.store) == []


def test_a_request_over_http_saying_it_is_a_replay_is_still_verified(slack_bolt, slack_fake, digest):
    commands, app = slack_bolt
    _, paper = digest
    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0FORGED")
    forged = bolt_request(added, secret="not-the-signing-secret")
    forged.headers[REPLAY_HEADER] = ["1"]
    assert app.dispatch(forged).status == 401
    assert likes(commands.store, "U2") == 0 and kept(commands.store) == []


def test_socket_mode_keeps_the_event_before_its_envelope_is_acknowledged(slack_bolt, slack_fake, settings, digest):
    """Bolt's Socket Mode adapter acknowledges an envelope once ``run_bolt_app`` (``App.dispatch``) returned: the
    event is kept by then, and a process killed before the listener ran leaves it to the next one."""
    commands, _ = slack_bolt
    _, paper = digest
    body, _ = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0SOCKET")
    envelope = {"envelope_id": "e1", "type": "events_api", "payload": json.loads(body), "accepts_response_payload": False}
    answer = run_bolt_app(killed_after_answer(commands, settings), SocketModeRequest.from_dict(envelope))
    assert answer.status == 200 and kept(commands.store) == [("Ev0SOCKET", "reaction_added", 0)]
    assert replay_due(*later(commands, settings)[::-1]) == 1
    assert likes(commands.store, "U2") == 1


def test_two_processes_starting_together_replay_an_event_once(slack_bolt, slack_fake, settings, digest):
    commands, _ = slack_bolt
    _, paper = digest
    added = reaction_event("reaction_added", "-1", paper, user="U2", event_id="Ev0TWO")
    assert killed_after_answer(commands, settings).dispatch(bolt_request(added)).status == 200
    first, second = later(commands, settings), later(commands, settings)
    assert replay_due(first[1], first[0]) + replay_due(second[1], second[0]) == 1
    assert kept(commands.store) == []
    with commands.store.session() as s:
        assert s.scalars(select(Feedback.value).join(Member, Member.id == Feedback.member_id)
                         .where(Member.user_ref == "U2")).all() == [-1]


def test_the_event_is_settled_in_its_effects_transaction(papers_store, settings, slack_fake):
    """Served over HTTP as ``paperbot run`` serves: while the import's answer is on its way (the import committed,
    the listener not done), the event is no longer kept: a process killed then leaves nothing to dispatch again."""
    settings.slack.api_url = slack_fake.api_url
    commands = Commands(papers_store, settings)
    app = build_app(commands, settings, secrets=SECRETS)
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    answering = slack_fake.hold_next("chat.postMessage")
    server = serve_http(app, "127.0.0.1", 0)
    try:
        body, ctype = file_shared_event("F1", event_id="Ev0COMMITTED")
        assert http_post(f"{server.url}/slack/events", body, signed_headers(body, ctype)) == 200
        slack_fake.wait_for(lambda calls: [c for c in calls if c.method == "chat.postMessage"])
        assert likes(papers_store) == 2 and kept(papers_store) == []
    finally:
        answering.set()
        server.close()
        app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.mark.parametrize("installed_again", [True, False])
def test_an_uninstall_dispatched_again_pauses_the_workspace_only_if_the_app_is_still_gone(
        slack_bolt, slack_fake, settings, installed_again, caplog):
    """A replay can come long after the event (the next start): by then the workspace may have installed the app
    again (one workspace: the bot token answers ``auth.test``), and pausing it then would be wrong."""
    commands, app = slack_bolt
    papers_command(app, slack_fake, "channel setup 09:30 UTC 3 graph neural networks")
    gone = app_gone_event(event_id="Ev0GONE")
    assert killed_after_answer(commands, settings).dispatch(bolt_request(gone)).status == 200
    nxt, again = later(commands, settings)
    if not installed_again:
        slack_fake.fail_next("auth.test", error="account_inactive")
    assert replay_due(again, nxt) == 1
    with commands.store.session() as s:
        assert (s.scalar(select(Channel.paused)) is None) == installed_again
    assert kept(commands.store) == []
    assert any(r.getMessage() == "slack uninstall not replayed: installed again" for r in caplog.records) == installed_again


def test_a_sweep_with_nothing_due_waits_for_no_writer(slack_bolt, slack_fake, settings, db_url, caplog):
    """``paperbot run`` looks every minute: with nothing due that takes no write lock, which a large library
    import holds on SQLite for as long as it writes."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    commands, app = slack_bolt
    writing, release = threading.Event(), threading.Event()

    def held(count: int, total: int) -> None:  # the import's 👍 are being written, in its transaction
        writing.set()
        release.wait()

    importer = threading.Thread(target=lambda: Commands(commands.store, settings).import_library(
        Caller("cli", "local", "ada"), LIBRARY, "my.bib", on_progress=held))
    importer.start()
    try:
        assert writing.wait(60), "the import never started writing"
        assert replay_due(app, commands) == 0
    finally:
        release.set()
        importer.join()
    assert likes(commands.store, "ada") == 2
