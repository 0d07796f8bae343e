"""Slack's retried events, at the wire: Slack redelivers an event (same ``event_id``, ``X-Slack-Retry-Num``,
``X-Slack-Retry-Reason``) when it thinks the app did not answer within 3 s. A retry never does a thing twice, in
this process or after a restart, and a retry of an event whose first delivery failed before committing does it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.error
import urllib.request

import pytest
from slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    bolt_request,
    channel_rename_event,
    file_shared_event,
    papers_command,
    reaction_event,
    signed_headers,
)
from sqlalchemy import func, select, text

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.http import serve_http
from bot.slack.poster import SlackPoster
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Feedback, Member

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)

LIBRARY = b"""@article{vaswani, title = {Attention Is All You Need}, eprint = {1706.03762}, year = {2017}}
@article{fresh, title = {A Paper Nobody Stored Yet}, author = {Lovelace, Ada}, year = 2021}
"""


def likes(store, user: str = "U1") -> int:
    with store.session() as s:
        return s.scalar(select(func.count(Feedback.id)).join(Member, Member.id == Feedback.member_id)
                        .where(Member.user_ref == user)) or 0


def restarted(commands: Commands, settings, fake):
    """The Bolt app of a new process on the same database (nothing kept in memory)."""
    secrets = Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    return build_app(Commands(commands.store, settings), settings, secrets=secrets, process_before_response=True)


def skipped(caplog) -> list[tuple]:
    return [(r.getMessage(), r.event_id, r.retry, r.reason) for r in caplog.records  # type: ignore[attr-defined]
            if r.name == "bot.slack.app" and r.getMessage() == "slack event already handled"]


# -- file_shared: a library upload in the bot's DM ----------------------------------------------------------


def test_a_retried_upload_is_imported_once_and_answered_once(slack_bolt, slack_fake, settings, caplog):
    commands, app = slack_bolt
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    event = file_shared_event("F1", event_id="Ev0FILE1")
    assert app.dispatch(bolt_request(event)).status == 200
    assert [p.params["text"][:20] for p in slack_fake.posts("DU1")] == ["Imported 2 entries f"]
    assert likes(commands.store) == 2
    with commands.store.session() as s:  # the person 👎 one of them meanwhile: the retry must not make it a 👍
        s.execute(text("UPDATE feedback SET value = -1"))

    assert app.dispatch(bolt_request(event, retry=1, reason="http_timeout")).status == 200
    # and after a restart, Slack's later retries (1 and 5 minutes on) still find it done
    assert restarted(commands, settings, slack_fake).dispatch(bolt_request(event, retry=2)).status == 200
    assert len(slack_fake.posts("DU1")) == 1  # one answer (there were three: the retries' said "… 0 👍 recorded")
    assert len(slack_fake.of("download")) == 1  # a retry of an event done is not even downloaded again
    with commands.store.session() as s:
        assert s.scalars(select(Feedback.value)).all() == [-1, -1]
    assert skipped(caplog) == [("slack event already handled", "Ev0FILE1", 1, "http_timeout"),
                               ("slack event already handled", "Ev0FILE1", 2, "http_timeout")]

    # the same file shared again is another event: imported again, and answered
    assert app.dispatch(bolt_request(file_shared_event("F1", event_id="Ev0FILE2"))).status == 200
    assert len(slack_fake.posts("DU1")) == 2


def test_a_refused_upload_is_answered_once_too(slack_bolt, slack_fake):
    commands, app = slack_bolt
    slack_fake.files["F1"] = ("notes.txt", b"just some notes, no entries")
    slack_fake.files["F2"] = ("huge.bib", b"%" * (21 * 1024 * 1024))
    for file_id in ("F1", "F2"):
        event = file_shared_event(file_id, event_id=f"Ev0{file_id}")
        assert app.dispatch(bolt_request(event)).status == 200
        assert app.dispatch(bolt_request(event, retry=1)).status == 200
    answers = [p.params["text"] for p in slack_fake.posts("DU1")]
    assert len(answers) == 2 and "Nothing imported" in answers[0] and "larger than 20 MB" in answers[1]
    assert likes(commands.store) == 0


def http_post(url: str, body: str, headers: dict) -> int:
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_retry_arriving_while_the_first_delivery_still_runs_imports_once(papers_store, settings, slack_fake):
    """As `paperbot run` serves over HTTP: Bolt acknowledges the event at once and runs the listener in its own
    thread, so a retry (Slack missed that answer) runs beside the first delivery, which is still importing."""
    settings.slack.api_url = slack_fake.api_url
    commands = Commands(papers_store, settings)
    app = build_app(commands, settings, secrets=Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET))
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    first_waits = slack_fake.hold_next("files.info")  # the first delivery is still fetching the file
    server = serve_http(app, "127.0.0.1", 0)
    try:
        body, ctype = file_shared_event("F1", event_id="Ev0RACE")
        endpoint = f"{server.url}/slack/events"
        assert http_post(endpoint, body, signed_headers(body, ctype)) == 200
        slack_fake.wait_for(lambda calls: [c for c in calls if c.method == "files.info"])
        assert http_post(endpoint, body, signed_headers(body, ctype, retry=1, reason="http_timeout")) == 200
        slack_fake.wait_for(lambda calls: len([c for c in calls if c.method == "download"]) == 1)
        first_waits.set()
    finally:
        server.close()
        app.listener_runner.listener_executor.shutdown(wait=True)  # both deliveries' listeners are done
    assert len(slack_fake.posts("DU1")) == 1 and "Imported 2 entries" in slack_fake.posts("DU1")[0].params["text"]
    assert likes(papers_store) == 2


def test_a_retry_after_a_first_delivery_that_failed_before_committing_imports(slack_bolt, slack_fake, strict_logs):
    """Not every retry is a duplicate: when the import's transaction failed (here the feedback table is gone,
    so writing the 👍 fails), nothing of it stays, the handled event included, and the retry does the work."""
    commands, app = slack_bolt
    strict_logs.allow("library import failed")
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    event = file_shared_event("F1", event_id="Ev0FAIL")
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE feedback RENAME TO feedback_gone"))
    assert app.dispatch(bolt_request(event)).status == 200
    with commands.store.session() as s:
        s.execute(text("ALTER TABLE feedback_gone RENAME TO feedback"))
    assert likes(commands.store) == 0
    assert app.dispatch(bolt_request(event, retry=1, reason="http_error")).status == 200
    answers = [p.params["text"] for p in slack_fake.posts("DU1")]
    assert len(answers) == 2 and "went wrong" in answers[0].lower() and "Imported 2 entries" in answers[1]
    assert likes(commands.store) == 2


# -- reactions and renames ------------------------------------------------------------------------------------


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


def test_a_reaction_retried_after_it_was_taken_back_does_not_come_back(slack_bolt, slack_fake, settings, digest):
    commands, app = slack_bolt
    _, paper = digest
    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0ADD")
    assert app.dispatch(bolt_request(added)).status == 200
    assert likes(commands.store, "U2") == 1
    removed = reaction_event("reaction_removed", "+1", paper, user="U2", event_id="Ev0REMOVE")
    assert app.dispatch(bolt_request(removed)).status == 200
    assert likes(commands.store, "U2") == 0
    # Slack missed the answer to the first event and sends it again, to this process and after a restart
    assert app.dispatch(bolt_request(added, retry=1)).status == 200
    assert restarted(commands, settings, slack_fake).dispatch(bolt_request(added, retry=2)).status == 200
    assert likes(commands.store, "U2") == 0
    # a retried removal after a new 👍 (another event) does not take that one back either
    again = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0ADD2")
    assert app.dispatch(bolt_request(again)).status == 200
    assert app.dispatch(bolt_request(removed, retry=1)).status == 200
    assert likes(commands.store, "U2") == 1


def opinion(store, user: str) -> list[int]:
    """The person's 👍 (1) or 👎 (-1) of any paper: at most one here."""
    with store.session() as s:
        return list(s.scalars(select(Feedback.value).join(Member, Member.id == Feedback.member_id)
                              .where(Member.user_ref == user)))


def test_a_reaction_taken_back_leaves_the_other_that_still_stands(slack_bolt, slack_fake, digest):
    """👍 then 👎 on one paper, then the 👎 taken back: the 👍 still on the message is the opinion again (and
    alike the other way round); taking back the last retracts it. A retry of a removal changes nothing."""
    commands, app = slack_bolt
    _, paper = digest

    def react(kind: str, name: str, event_id: str, user: str = "U2", retry: int | None = None) -> list[int]:
        event = reaction_event(f"reaction_{kind}", name, paper, user=user, event_id=event_id)
        assert app.dispatch(bolt_request(event, retry=retry)).status == 200
        return opinion(commands.store, user)

    assert react("added", "+1", "Ev0UP") == [1]
    assert react("added", "-1", "Ev0DOWN") == [-1]
    assert react("removed", "-1", "Ev0UNDOWN") == [1]  # the 👍 still shows: it is the opinion
    assert react("added", "-1::skin-tone-2", "Ev0DOWN2") == [-1]
    assert react("removed", "-1", "Ev0UNDOWN", retry=1) == [-1]  # the first removal's retry: the new 👎 stands
    assert react("removed", "+1", "Ev0UNUP") == [-1]  # not the opinion: nothing changes
    assert react("removed", "-1::skin-tone-2", "Ev0UNDOWN2") == []  # the last one: retracted
    # the other way round, for someone else
    assert react("added", "-1", "Ev1DOWN", user="U3") == [-1]
    assert react("added", "thumbsup", "Ev1UP", user="U3") == [1]
    assert react("removed", "thumbsup", "Ev1UNUP", user="U3") == [-1]


def test_socket_mode_retries_are_told_apart_alike(slack_bolt, slack_fake, digest, caplog):
    """Socket Mode carries the event's callback as the envelope's payload (the same ``event_id``) and the retry in
    the envelope (``retry_attempt``, ``retry_reason``), which Bolt's Socket Mode adapter hands on as HTTP's headers."""
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app
    from slack_sdk.socket_mode.request import SocketModeRequest

    commands, app = slack_bolt
    _, paper = digest

    def socket(event: tuple[str, str], n: int, **retry) -> int:
        envelope = {"type": "events_api", "envelope_id": f"env-{n}", "payload": json.loads(event[0]),
                    "accepts_response_payload": False, **retry}
        return run_bolt_app(app, SocketModeRequest.from_dict(envelope)).status

    added = reaction_event("reaction_added", "+1", paper, user="U2", event_id="Ev0SOCKETADD")
    assert socket(added, 1) == 200 and likes(commands.store, "U2") == 1
    assert socket(reaction_event("reaction_removed", "+1", paper, user="U2", event_id="Ev0SOCKETREMOVE"), 2) == 200
    assert socket(added, 3, retry_attempt=1, retry_reason="timeout") == 200
    assert likes(commands.store, "U2") == 0
    assert skipped(caplog) == [("slack event already handled", "Ev0SOCKETADD", 1, "timeout")]


def test_a_retried_reaction_on_a_digest_header_is_hinted_once_also_after_a_restart(slack_bolt, slack_fake, settings,
                                                                                  digest):
    commands, app = slack_bolt
    header, _ = digest
    event = reaction_event("reaction_added", "+1", header, user="U2", event_id="Ev0HEADER")
    assert app.dispatch(bolt_request(event)).status == 200
    assert restarted(commands, settings, slack_fake).dispatch(bolt_request(event, retry=1)).status == 200
    assert [h.params["user"] for h in slack_fake.of("chat.postEphemeral")] == ["U2"]


def test_a_rename_retried_after_a_later_rename_does_not_undo_it(slack_bolt, slack_fake, settings):
    commands, app = slack_bolt
    papers_command(app, slack_fake, "channel setup 09:30 UTC 3 graph neural networks")
    first = channel_rename_event("C1", "reading-group", event_id="Ev0RENAME1")
    assert app.dispatch(bolt_request(first)).status == 200
    assert app.dispatch(bolt_request(channel_rename_event("C1", "journal-club", event_id="Ev0RENAME2"))).status == 200
    assert app.dispatch(bolt_request(first, retry=1)).status == 200
    assert restarted(commands, settings, slack_fake).dispatch(bolt_request(first, retry=2)).status == 200
    with commands.store.session() as s:
        assert s.scalar(select(Channel.name)) == "journal-club"
        assert s.scalars(select(ChannelChange.change).where(ChannelChange.change.like("renamed%"))
                         .order_by(ChannelChange.id)).all() == ["renamed #papers to #reading-group",
                                                                "renamed #reading-group to #journal-club"]


def test_handled_event_ids_are_forgotten_after_a_day_at_most_once_an_hour(slack_bolt, slack_fake, monkeypatch):
    from bot.commands import events
    from recommender.store import HandledEvent

    commands, app = slack_bolt
    now = dt.datetime.now(dt.UTC)

    def add(event_id: str, age: dt.timedelta) -> None:
        with commands.store.session() as s:
            s.add(HandledEvent(platform="slack", event_id=event_id, kind="file_shared", handled_at=now - age))

    def ids() -> set[str]:
        with commands.store.session() as s:
            return set(s.scalars(select(HandledEvent.event_id)))

    add("Ev0OLD", events.KEPT + dt.timedelta(minutes=1))
    add("Ev0RECENT", dt.timedelta(minutes=10))  # within Slack's retries (the last about five minutes on) and more
    monkeypatch.setattr(events, "_next_forget", 0.0)  # this process has not forgotten any yet
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    assert app.dispatch(bolt_request(file_shared_event("F1", event_id="Ev0NEW"))).status == 200
    assert ids() == {"Ev0RECENT", "Ev0NEW"}
    add("Ev0OLD2", events.KEPT + dt.timedelta(minutes=1))
    assert app.dispatch(bolt_request(file_shared_event("F1", event_id="Ev0NEWER"))).status == 200
    assert ids() == {"Ev0RECENT", "Ev0NEW", "Ev0OLD2", "Ev0NEWER"}  # not again within the hour


def test_a_rename_whose_first_delivery_changed_nothing_is_not_applied_by_its_retry(slack_bolt, slack_fake):
    """The channel was set up under its new name (the setup typed just after the rename came before the rename's
    event), so the event's first delivery changed nothing; renamed again since, the retry must not undo that."""
    commands, app = slack_bolt
    papers_command(app, slack_fake, "channel setup 09:30 UTC 3 graph neural networks", channel_name="reading-group")
    first = channel_rename_event("C1", "reading-group", event_id="Ev0RENAMEDALREADY")
    assert app.dispatch(bolt_request(first)).status == 200
    assert app.dispatch(bolt_request(channel_rename_event("C1", "journal-club", event_id="Ev0RENAMELATER"))).status == 200
    assert app.dispatch(bolt_request(first, retry=1)).status == 200
    with commands.store.session() as s:
        assert s.scalar(select(Channel.name)) == "journal-club"


def test_a_thumbs_up_on_a_message_paperbot_never_posted_does_not_wait_for_a_writer(slack_bolt, slack_fake, settings,
                                                                                 db_url, caplog):
    """Most 👍 in a workspace are on people's messages: reading that the message is none of paperbot's needs no
    write lock. Here a library import holds SQLite's write lock (as a large one does for minutes) while the 👍 comes."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    commands, app = slack_bolt
    writing, release = threading.Event(), threading.Event()
    done: list = []

    def held(count: int, total: int) -> None:  # the import's 👍 are being written, in its transaction
        writing.set()
        release.wait()

    def run_import() -> None:
        done.append(Commands(commands.store, settings).import_library(Caller("cli", "local", "ada"), LIBRARY, "my.bib",
                                                                       on_progress=held))

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert writing.wait(60), "the import never started writing"
        people = reaction_event("reaction_added", "+1", "C1:1699999999.000100", user="U5", item_user="U1")
        assert app.dispatch(bolt_request(people)).status == 200
    finally:
        release.set()
        importer.join()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert done[0].ok and likes(commands.store, "ada") == 2 and likes(commands.store, "U5") == 0
