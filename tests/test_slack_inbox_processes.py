"""A real ``paperbot run`` serving Slack over HTTP, SIGKILLed after it answered an event ``200`` and before the
event's effect: the next ``paperbot run`` dispatches the kept event again, and its effect happens once.

The kill falls at a known line without sleeping: the fake Web API holds its answer to the listener's
``files.info`` (the listener runs after Bolt's answer), and the process is killed while it waits.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import urllib.request

from service_harness import BotProcess
from slack_requests import BOT_TOKEN, SIGNING_SECRET, file_shared_event, signed_headers
from sqlalchemy import func, select, update
from test_slack_retries import LIBRARY, likes

from bot.commands.incoming import REPLAY_AFTER
from recommender.store import IncomingEvent

#: Seconds a step may take on the shared machine (a start takes a few).
BOUND = 120
LISTENING = re.compile(r'event="slack http endpoint listening".* port=(\d+)')


def serving(papers_store, slack_fake, data_dir) -> tuple[BotProcess, str]:
    """``paperbot run`` in Slack's HTTP mode (one workspace) on a free port, once listening; its events URL."""
    bot = BotProcess(papers_store.url, data_dir, args=("--port", "0", "--host", "127.0.0.1"), extra_env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PAPERBOT_SLACK__API_URL": slack_fake.api_url})
    assert bot.wait_for(lambda b: LISTENING.search(b.text()), BOUND), bot.text()[-3000:]
    (port,) = LISTENING.findall(bot.text())
    return bot, f"http://127.0.0.1:{port}/slack/events"


def test_an_upload_answered_then_sigkilled_is_imported_by_the_next_run_once(papers_store, slack_fake, tmp_path):
    slack_fake.files["F1"] = ("my.bib", LIBRARY)
    held = slack_fake.hold_next("files.info")
    first, url = serving(papers_store, slack_fake, tmp_path / "run")
    try:
        body, ctype = file_shared_event("F1", event_id="Ev0SIGKILL")
        request = urllib.request.Request(url, data=body.encode(), headers=signed_headers(body, ctype), method="POST")
        with urllib.request.urlopen(request, timeout=BOUND) as answer:
            assert answer.status == 200  # Slack will not send it again
        slack_fake.wait_for(lambda calls: [c for c in calls if c.method == "files.info"], timeout=BOUND)
        first.proc.send_signal(signal.SIGKILL)
        first.wait(BOUND)
    finally:
        held.set()
        if first.proc.poll() is None:
            first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    assert likes(papers_store) == 0 and slack_fake.posts("DU1") == []
    with papers_store.session() as s:  # the kill was a while ago: no other process can still be at it
        (received,) = s.scalars(select(IncomingEvent.received_at)).all()
        s.execute(update(IncomingEvent).values(received_at=received - REPLAY_AFTER - dt.timedelta(seconds=1)))

    second, _ = serving(papers_store, slack_fake, tmp_path / "run")
    try:
        slack_fake.wait_for(lambda calls: [c for c in calls if c.method == "chat.postMessage"], timeout=BOUND)
    finally:
        assert second.terminate() == 0, second.text()[-3000:]
    answers = [p.params["text"] for p in slack_fake.posts("DU1")]
    assert len(answers) == 1 and "Imported 2 entries" in answers[0]
    assert likes(papers_store) == 2 and len(slack_fake.of("download")) == 1
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(IncomingEvent)) == 0
    assert second.logged('event="slack event replayed" event_id=Ev0SIGKILL') and "Traceback" not in second.text()

