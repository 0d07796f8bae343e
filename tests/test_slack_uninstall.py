"""A Slack workspace that uninstalls the app, or revokes its bot token: its channels and members pause together
(``app uninstalled``, nothing deleted), from the ``app_uninstalled`` / ``tokens_revoked`` events (signed, into the
Bolt app, once however often Slack delivers them) or, the events lost while paperbot was down, from the first post
Slack refuses for a dead token; with OAuth the workspace's bot token leaves the installation store. Installing the
app again (an OAuth installation, a ``run`` whose token works) or a command from the workspace resumes them."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json

import pytest
from rich.console import Console
from slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    app_gone_event,
    bolt_request,
    papers_command,
    signed_headers,
    slash_command,
)
from sqlalchemy import select
from test_slack_oauth import OAUTH, TOKENS, A, B, install, post

from bot.commands import Commands
from bot.service.context import JobContext
from bot.service.once import run_once
from bot.service.run import RunOptions, serve
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.http import serve_http
from bot.slack.poster import SlackPoster
from recommender.store import Channel, ChannelChange, Member

from slack_fake import FakeSlack, Team, oauth_answer

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
GONE = "the app was uninstalled from the workspace"
SETUP = "channel setup 08:00 UTC 3 graph neural networks"


def paused(store) -> dict[str, str | None]:
    """``{"<workspace>/<channel or user id>": paused reason}`` of every channel and member."""
    with store.session() as s:
        return {f"{r.workspace}/{r.channel_ref if isinstance(r, Channel) else r.user_ref}": r.paused
                for model in (Channel, Member) for r in s.scalars(select(model))}


def changes(store, workspace: str, ref: str) -> list[str]:
    """A channel's change log, oldest first, as ``channel status`` words it (``slack: paused: …``)."""
    with store.session() as s:
        return [f"{c.actor}: {c.change}" for c in s.scalars(
            select(ChannelChange).join(Channel, Channel.id == ChannelChange.channel_id)
            .where(Channel.workspace == workspace, Channel.channel_ref == ref).order_by(ChannelChange.id))]


def posted(report) -> list[tuple[str, str, str]]:
    """``(workspace, channel or user id, outcome)`` of each digest of a ``run --once`` report."""
    return [(t.workspace, t.ref, o.status) for t, o in report.digests]


def skipped(caplog) -> list[tuple[str, int]]:
    return [(r.event_id, r.retry) for r in caplog.records  # type: ignore[attr-defined]
            if r.name == "bot.slack.app" and r.getMessage() == "slack event already handled"]


# -- one workspace (a bot token): the events, their retries, a command there ---------------------------------


def test_an_uninstall_pauses_the_workspace_once_and_a_command_there_resumes_it(slack_bolt, slack_fake, settings,
                                                                             cli, caplog):
    commands, app = slack_bolt
    store = commands.store
    for channel, name in (("C1", "papers"), ("C2", "general")):
        papers_command(app, slack_fake, SETUP, channel=channel, channel_name=name)
    papers_command(app, slack_fake, "subscribe 08:00 UTC", user="U2", user_name="elif")
    papers_command(app, slack_fake, SETUP, team="T9", channel="C9", channel_name="lab")  # another workspace
    everyone = paused(store)
    assert set(everyone) == {"T1/C1", "T1/C2", "T1/U2", "T9/C9"} and set(everyone.values()) == {None}

    # a user's token revoked (not the bot's): paperbot holds no user token, nothing pauses
    assert app.dispatch(bolt_request(app_gone_event("tokens_revoked", bot=(), oauth=("U1",)))).status == 200
    assert set(paused(store).values()) == {None}

    revoked = app_gone_event("tokens_revoked", event_id="Ev0REVOKED")
    uninstalled = app_gone_event(event_id="Ev0UNINSTALLED")
    for event in (revoked, uninstalled):  # Slack sends both for one uninstall, in no set order
        assert app.dispatch(bolt_request(event)).status == 200
    assert paused(store) == {"T1/C1": "app uninstalled", "T1/C2": "app uninstalled", "T1/U2": "app uninstalled",
                             "T9/C9": None}
    assert changes(store, "T1", "C1")[1:] == [f"slack: paused: {GONE}"]
    with store.session() as s:  # nothing of theirs is gone
        c1 = s.scalar(select(Channel).where(Channel.channel_ref == "C1"))
        elif_ = s.scalar(select(Member).where(Member.user_ref == "U2"))
        assert (c1.enabled, c1.digest_size, c1.topic, elif_.subscribed) == (True, 3, "graph neural networks", True)

    # Slack missed the answers and sends both again, to this process and to one started since
    assert app.dispatch(bolt_request(uninstalled, retry=1, reason="http_timeout")).status == 200
    again = build_app(Commands(store, settings), settings, process_before_response=True,
                      secrets=Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET))
    assert again.dispatch(bolt_request(revoked, retry=1)).status == 200
    assert skipped(caplog) == [("Ev0UNINSTALLED", 1), ("Ev0REVOKED", 1)]
    assert changes(store, "T1", "C1")[1:] == [f"slack: paused: {GONE}"]

    # the day's digests: the other workspace's only; nothing is tried in T1
    ctx = JobContext(store, settings, {"slack": SlackPoster(app.client)}, recommender=commands.recommender)
    assert posted(run_once(ctx, now=NOW)) == [("T9", "C9", "posted")]
    assert {c.params["channel"] for c in slack_fake.of("chat.postMessage")} == {"C9"}
    assert slack_fake.of("conversations.open") == []
    channels = {c["channel"]: c["paused"] for c in json.loads(cli("channels", "list", "--json").stdout)}
    assert channels == {"C1": GONE, "C2": GONE, "C9": None}
    assert {u["user"]: u["paused"] for u in json.loads(cli("users", "list", "--json").stdout)} == {"U2": GONE}
    targets = {t["name"]: (t["paused"], t["next_digest"]) for t in json.loads(cli("status", "--json").stdout)["targets"]}
    assert targets["#papers"] == targets["#general"] == targets["elif"] == (GONE, None)

    # the app is back: Slack sends a command from that workspace only when the app is installed there
    answer = papers_command(app, slack_fake, "channel status", channel="C2", channel_name="general", user="U3")
    assert set(paused(store).values()) == {None}
    assert f"slack: paused: {GONE}" in answer["text"] and "slack: resumed: the app is installed again" in answer["text"]
    assert changes(store, "T1", "C1")[1:] == [f"slack: paused: {GONE}", "slack: resumed: the app is installed again"]

    # Slack's last retry of the uninstall comes after that, to a restarted process: it pauses nothing again
    assert again.dispatch(bolt_request(uninstalled, retry=2)).status == 200
    assert set(paused(store).values()) == {None}
    assert sorted(p for p in posted(run_once(ctx, now=NOW + dt.timedelta(days=1))) if p[0] == "T1") == [
        ("T1", "C1", "posted"), ("T1", "C2", "posted"), ("T1", "U2", "posted")]


def test_paperbot_run_with_the_reinstalled_apps_token_resumes_the_workspace(slack_bolt, slack_fake, settings):
    """One workspace: installing the app again gives a new bot token, and paperbot restarted with it checks it
    (``auth.test``, naming the workspace) before posting, as a Discord connect lists the servers the bot is in."""
    commands, app = slack_bolt
    papers_command(app, slack_fake, SETUP)
    assert app.dispatch(bolt_request(app_gone_event(event_id="Ev0BYE"))).status == 200
    assert paused(commands.store) == {"T1/C1": "app uninstalled"}

    slack_fake.teams.pop(BOT_TOKEN)  # the old token is dead, the new one works
    slack_fake.teams["xoxb-reinstalled"] = Team("T1", "UBOT", "BBOT")
    secrets = Secrets(slack_bot_token="xoxb-reinstalled", slack_app_token="xapp-1-test")
    options = RunOptions(once=True, bootstrap=False, console=Console(file=io.StringIO()))
    assert asyncio.run(serve(commands.store, settings, secrets, options)) == 0
    assert paused(commands.store) == {"T1/C1": None}
    assert options.report is not None and posted(options.report) == [("T1", "C1", "posted")]
    assert {c.token for c in slack_fake.posts("C1")} == {"xoxb-reinstalled"}


# -- many workspaces (OAuth): the bot token deleted, a new installation -------------------------------------


@pytest.fixture
def multi(papers_store, settings):
    """``(commands, app, fake, server)``: workspaces TA and TB installed over OAuth, each a channel C1 set up by U1,
    and U2 of TA subscribed; the app served over HTTP, as ``paperbot run`` serves it."""
    codes = {"code-a": oauth_answer(A, TOKENS["TA"]), "code-b": oauth_answer(B, TOKENS["TB"])}
    with FakeSlack(teams={TOKENS["TA"]: A, TOKENS["TB"]: B}, oauth_codes=codes) as fake:
        settings.slack.api_url = fake.api_url
        commands = Commands(papers_store, settings)
        app = build_app(commands, settings, secrets=OAUTH, oauth=True, process_before_response=True)
        server = serve_http(app, "127.0.0.1", 0)
        try:
            for code in codes:
                assert install(server, code)[0] == 200
            for team, text, user in (("TA", SETUP, "U1"), ("TB", SETUP, "U1"), ("TA", "subscribe 08:00 UTC", "U2")):
                assert send(server, slash_command(text, team=team, user=user, response_url=fake.response_url())) == 200
            yield commands, app, fake, server
        finally:
            server.close()
        assert fake.invalid_blocks() == []


def send(server, request: tuple[str, str], **sign) -> int:
    """Post a signed Slack request to the app's endpoint; the HTTP status."""
    body, ctype = request
    return post(f"{server.url}/slack/events", body, signed_headers(body, ctype, **sign))


def bot_token(app, team: str) -> str | None:
    bot = app.installation_store.find_bot(enterprise_id=None, team_id=team)
    return bot.bot_token if bot else None


def test_an_uninstall_deletes_the_bot_token_and_a_new_installation_resumes_the_workspace(multi, settings):
    commands, app, fake, server = multi
    uninstalled = app_gone_event(team="TA", bot=("UBOTA",), event_id="Ev0GONEA")
    revoked = app_gone_event("tokens_revoked", team="TA", bot=("UBOTA",), event_id="Ev0REVOKEDA")
    assert send(server, uninstalled) == 200 and send(server, revoked) == 200
    assert (bot_token(app, "TA"), bot_token(app, "TB")) == (None, TOKENS["TB"])
    assert paused(commands.store) == {"TA/C1": "app uninstalled", "TA/U2": "app uninstalled", "TB/C1": None}

    poster = SlackPoster(installations=app.installation_store, base_url=fake.api_url)
    ctx = JobContext(commands.store, settings, {"slack": poster}, recommender=commands.recommender)
    assert posted(run_once(ctx, now=NOW)) == [("TB", "C1", "posted")]

    # TA installs the app again, with a new bot token: everything there resumes as it was
    fake.teams["xoxb-team-a-again"] = A
    fake.oauth_codes["code-a-again"] = oauth_answer(A, "xoxb-team-a-again")
    assert install(server, "code-a-again")[0] == 200
    assert set(paused(commands.store).values()) == {None}
    assert changes(commands.store, "TA", "C1")[-2:] == [f"slack: paused: {GONE}", "slack: resumed: the app is installed again"]

    # Slack retries the uninstall (it missed the answer) after that: the new installation stays, nothing pauses
    assert send(server, uninstalled, retry=1, reason="http_timeout") == 200
    assert send(server, revoked, retry=2) == 200
    assert bot_token(app, "TA") == "xoxb-team-a-again"
    assert set(paused(commands.store).values()) == {None}
    assert [p for p in posted(run_once(ctx, now=NOW + dt.timedelta(days=1))) if p[0] == "TA"] == [
        ("TA", "C1", "posted"), ("TA", "U2", "posted")]
    assert {c.token for c in fake.posts() if c.params.get("metadata")} == {TOKENS["TB"], "xoxb-team-a-again"}


@pytest.mark.parametrize("error", ["account_inactive", "invalid_auth", "team_access_not_granted", "token_revoked"])
def test_a_post_refused_for_a_dead_token_pauses_the_workspace_and_is_not_retried(multi, settings, error):
    """The events were lost (paperbot was down when TA uninstalled the app): the first post Slack refuses for a
    dead token pauses every channel and member of TA in the transaction that marks the day unreachable."""
    commands, app, fake, server = multi
    if error == "invalid_auth":  # what Slack answers for a token it no longer knows (so does the fake)
        fake.teams.pop(TOKENS["TA"])
    else:  # the day's first post: TA's channel (channels first, by id)
        fake.fail_next("chat.postMessage", error=error)
    poster = SlackPoster(installations=app.installation_store, base_url=fake.api_url)
    ctx = JobContext(commands.store, settings, {"slack": poster}, recommender=commands.recommender)
    report = run_once(ctx, now=NOW)
    outcomes = {(t.workspace, t.ref): o for t, o in report.digests}
    assert (outcomes["TA", "C1"].status, outcomes["TA", "C1"].error) == (
        "unreachable", f"unreachable: slack chat.postMessage: {error} · paused: {GONE}")
    assert (outcomes["TA", "U2"].status, outcomes["TB", "C1"].status) == ("skipped", "posted")  # U2: paused before her turn
    assert paused(commands.store) == {"TA/C1": "app uninstalled", "TA/U2": "app uninstalled", "TB/C1": None}
    assert changes(commands.store, "TA", "C1")[-1] == f"slack: paused: {GONE}"
    assert [c.params["channel"] for c in fake.of("conversations.open")] == []  # U2's DM was never tried

    later = run_once(ctx, now=NOW + dt.timedelta(hours=1))  # the day is not retried, nor any of TA tried again
    assert posted(later) == [("TB", "C1", "skipped")]  # posted already
    assert len(fake.of("chat.postMessage")) == 1 + 4  # the refused post, TB's digest (a header, 3 papers)

    fake.teams[TOKENS["TA"]] = A  # installed again
    assert install(server, "code-a")[0] == 200
    assert set(paused(commands.store).values()) == {None}
    assert [p for p in posted(run_once(ctx, now=NOW + dt.timedelta(days=1))) if p[0] == "TA"] == [
        ("TA", "C1", "posted"), ("TA", "U2", "posted")]
