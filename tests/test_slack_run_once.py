"""`paperbot run --once` beside the running Slack service: the lab's env file gives both the same Slack
secrets and port, so --once must post the day's digests without binding the port the service holds."""

from __future__ import annotations

import asyncio
import io
import socket

import pytest
from rich.console import Console
from slack_requests import BOT_TOKEN, SIGNING_SECRET, bolt_request, slash_command

from bot.commands import Commands
from bot.service.run import RunOptions, serve
from bot.settings import Secrets
from bot.slack.app import build_app

pytestmark = pytest.mark.strict_logs


@pytest.fixture
def service_port():
    """A port another process (the running `paperbot run`) listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_run_once_posts_the_days_digest_while_the_service_holds_the_port(papers_store, settings, slack_fake, service_port):
    settings.slack.api_url = slack_fake.api_url
    settings.slack.mode = "http"
    secrets = Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    app = build_app(Commands(papers_store, settings), settings, secrets=secrets, process_before_response=True)
    app.dispatch(bolt_request(slash_command("channel setup 09:00 UTC 3 graph neural networks",
                                            response_url=slack_fake.response_url("setup"))))

    options = RunOptions(once=True, port=service_port, host="127.0.0.1", bootstrap=False, console=Console(file=io.StringIO()))
    status = asyncio.run(serve(papers_store, settings, secrets, options))

    assert status == 0
    assert [(t.kind, o.status) for t, o in options.report.digests] == [("channel", "posted")]
    header, *replies = slack_fake.posts("C1")
    assert header.params["text"].startswith("Papers for #papers") and len(replies) == 3
