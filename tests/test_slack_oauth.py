"""Many workspaces over HTTP with OAuth: the install flow, separate data per workspace,
per-workspace tokens for posting; and the runtime factory."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from slack_requests import SIGNING_SECRET, signed_headers, slash_command
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import SlackConfigError, build_app
from bot.slack.http import serve_http
from bot.slack.poster import SlackPoster, UnsentPostRetryHandler
from bot.slack.runtime import SlackRuntime, SlackStartError, create_runtime
from recommender.store import Channel, Member

from slack_fake import FakeSlack, Team, oauth_answer

pytestmark = pytest.mark.strict_logs

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
A, B = Team("TA", "UBOTA", "BA", "Lab A"), Team("TB", "UBOTB", "BB", "Lab B")
TOKENS = {"TA": "xoxb-team-a-secret", "TB": "xoxb-team-b-secret"}
OAUTH = Secrets(slack_client_id="111.222", slack_client_secret="client-secret-xyz", slack_signing_secret=SIGNING_SECRET)


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(url, body, headers):
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def multi(papers_store, settings):
    with FakeSlack(teams={TOKENS["TA"]: A, TOKENS["TB"]: B},
                   oauth_codes={"code-a": oauth_answer(A, TOKENS["TA"]), "code-b": oauth_answer(B, TOKENS["TB"])}) as fake:
        settings.slack.api_url = fake.api_url
        commands = Commands(papers_store, settings)
        app = build_app(commands, settings, secrets=OAUTH, oauth=True, process_before_response=True)
        server = serve_http(app, "127.0.0.1", 0)
        try:
            yield commands, app, fake, server
        finally:
            server.close()
        assert fake.invalid_blocks() == []  # every message was valid Block Kit


def install(server, code):
    status, headers, page = get(f"{server.url}/slack/install")
    assert status == 200 and "https://slack.com/oauth/v2/authorize?state=" in page
    assert "client_id=111.222" in page and "chat%3Awrite" in page.replace(":", "%3A")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    state = cookie.split("=", 1)[1]
    assert f"state={state}" in page
    return get(f"{server.url}/slack/oauth_redirect?code={code}&state={state}", {"Cookie": cookie})


def test_install_into_two_workspaces_with_separate_data(multi, settings, caplog):
    commands, app, fake, server = multi
    caplog.set_level(logging.DEBUG)
    status, _, page = install(server, "code-a")
    assert status == 200, page
    status, _, _ = install(server, "code-b")
    assert status == 200
    access = fake.of("oauth.v2.access")
    assert [c.params["code"] for c in access] == ["code-a", "code-b"]
    assert {c.params["client_id"] for c in access} == {"111.222"}
    assert app.installation_store.find_bot(enterprise_id=None, team_id="TA").bot_token == TOKENS["TA"]
    assert app.installation_store.find_bot(enterprise_id=None, team_id="TB").bot_token == TOKENS["TB"]

    # the same user and channel ids in two workspaces are two people, two channels
    endpoint = f"{server.url}/slack/events"
    for team, topic in (("TA", "graph neural networks"), ("TB", "reinforcement learning")):
        body, ctype = slash_command(f"channel setup 08:00 UTC 3 {topic}", team=team, response_url=fake.response_url(team))
        assert post(endpoint, body, signed_headers(body, ctype)) == 200
        body, ctype = slash_command(f"interests add {topic}", team=team, response_url=fake.response_url(team))
        assert post(endpoint, body, signed_headers(body, ctype)) == 200
    with commands.store.session() as s:
        channels = {c.workspace: c.topic for c in s.scalars(select(Channel))}
        members = {m.workspace: m.interests for m in s.scalars(select(Member))}
        targets = [DeliveryTarget.of(c) for c in s.scalars(select(Channel).order_by(Channel.workspace))]
    assert channels == {"TA": "graph neural networks", "TB": "reinforcement learning"}
    assert members == {"TA": ["graph neural networks"], "TB": ["reinforcement learning"]}
    # requests were authorized with each workspace's own token
    assert {c.token for c in fake.of("auth.test")} >= {TOKENS["TA"], TOKENS["TB"]}

    # digests go out with each workspace's bot token
    poster = SlackPoster(installations=app.installation_store, base_url=fake.api_url)
    for target in targets:
        assert deliver(commands.store, commands.recommender, settings, poster, target, now=NOW).status == "posted"
    by_token = {c.token for c in fake.posts() if c.params["blocks"][0].get("type") == "header"}
    assert by_token == {TOKENS["TA"], TOKENS["TB"]}

    # tokens are never logged
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert TOKENS["TA"] not in logged and TOKENS["TB"] not in logged and "client-secret-xyz" not in logged


def test_redirect_without_the_browser_cookie_or_with_a_bad_state_installs_nothing(multi):
    _, app, fake, server = multi
    status, headers, _ = get(f"{server.url}/slack/install")
    state = headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    assert get(f"{server.url}/slack/oauth_redirect?code=code-a&state={state}")[0] == 400  # no cookie
    cookie = {"Cookie": "slack-app-oauth-state=forged"}
    assert get(f"{server.url}/slack/oauth_redirect?code=code-a&state=forged", cookie)[0] == 401
    assert fake.of("oauth.v2.access") == []
    assert app.installation_store.find_bot(enterprise_id=None, team_id="TA") is None


def test_a_workspace_that_has_not_installed_the_app_is_unreachable(multi, settings):
    commands, app, fake, _ = multi
    with commands.store.session() as s:
        s.add(Channel(platform="slack", workspace="TZ", channel_ref="C1", name="x", topic="", digest_time="08:00", timezone="UTC", digest_size=3))
    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = SlackPoster(installations=app.installation_store, base_url=fake.api_url)
    outcome = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW)
    assert outcome.status == "unreachable" and "not installed" in outcome.error
    assert fake.posts() == []


def test_create_runtime_checks_secrets_by_name(papers_store, settings):
    commands = Commands(papers_store, settings)
    with pytest.raises(SlackConfigError, match="SLACK_APP_TOKEN") as exc:
        create_runtime(commands, settings, Secrets(slack_bot_token="xoxb-hidden-value", slack_app_token=None))
    assert "hidden" not in str(exc.value)
    settings.slack.mode = "http"
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        create_runtime(commands, settings, Secrets(slack_bot_token="xoxb-x", slack_signing_secret=None))
    with pytest.raises(SlackConfigError, match="SLACK_CLIENT_ID"):
        create_runtime(commands, settings, Secrets(slack_bot_token=None, slack_signing_secret="s", slack_client_id=None))


def test_http_runtime_serves_and_stops(papers_store, settings):
    with FakeSlack(teams={"xoxb-rt": Team("T1", "UBOT", "BBOT")}) as fake:
        settings.slack.mode, settings.slack.port, settings.slack.api_url = "http", 0, fake.api_url
        commands = Commands(papers_store, settings)
        runtime = create_runtime(commands, settings, Secrets(slack_bot_token="xoxb-rt", slack_signing_secret=SIGNING_SECRET),
                                 host="127.0.0.1")
        assert isinstance(runtime, SlackRuntime) and set(runtime.posters()) == {"slack"}

        async def cycle():
            await runtime.start()
            url = runtime.server.url
            status = await asyncio.to_thread(lambda: get(f"{url}/healthz")[0])
            await runtime.stop()
            return url, status

        url, status = asyncio.run(cycle())
        assert status == 200
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{url}/healthz", timeout=2)


def test_socket_runtime_is_built_without_connecting(papers_store, settings):
    with FakeSlack(teams={"xoxb-sock": Team("T1", "UBOT", "BBOT")}) as fake:
        settings.slack.api_url = fake.api_url
        runtime = create_runtime(Commands(papers_store, settings), settings,
                                 Secrets(slack_bot_token="xoxb-sock", slack_app_token="xapp-1-sock"))
        assert runtime.mode == "socket" and runtime.posters()["slack"].platform == "slack"
        assert fake.calls == []  # the token is checked when the runtime starts, not when it is built
        client = runtime.app.client  # Bolt's own client, with paperbot's base URL and retry handlers
        assert client.base_url == fake.api_url and client.token == "xoxb-sock"
        kinds = [type(h) for h in client.retry_handlers]
        assert kinds == [RateLimitErrorRetryHandler, UnsentPostRetryHandler]  # web_client's: 429s, connection errors
        assert issubclass(UnsentPostRetryHandler, ConnectionErrorRetryHandler)


def test_the_token_from_the_environment_is_given_to_bolt_once(papers_store, settings, monkeypatch, caplog):
    """Bolt reads SLACK_BOT_TOKEN itself; giving it a client as well made it warn that the token is unused."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-env")
    caplog.set_level(logging.INFO)
    runtime = create_runtime(Commands(papers_store, settings), settings, Secrets())
    assert runtime.app.client.token == "xoxb-env"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_start_with_slack_unreachable_is_one_clean_error(papers_store, settings):
    port = closed_port()
    settings.slack.api_url = f"http://127.0.0.1:{port}/api/"
    runtime = create_runtime(Commands(papers_store, settings), settings,
                             Secrets(slack_bot_token="xoxb-never-shown", slack_app_token="xapp-never-shown"))
    with pytest.raises(SlackStartError) as info:
        asyncio.run(runtime.start())
    assert str(info.value) == f"Slack auth.test failed: cannot reach 127.0.0.1:{port} (Connection refused)"
    assert runtime._socket is None


def test_start_with_a_refused_token_says_which_variable(papers_store, settings):
    with FakeSlack(teams={"xoxb-good": Team("T1", "UBOT", "BBOT")}) as fake:
        settings.slack.mode, settings.slack.port, settings.slack.api_url = "http", 0, fake.api_url
        runtime = create_runtime(Commands(papers_store, settings), settings,
                                 Secrets(slack_bot_token="xoxb-wrong-secret", slack_signing_secret=SIGNING_SECRET),
                                 host="127.0.0.1")
        with pytest.raises(SlackStartError, match=r"auth.test failed: the token was refused \(invalid_auth\): "
                                                  r"check SLACK_BOT_TOKEN") as info:
            asyncio.run(runtime.start())
        assert "wrong-secret" not in str(info.value)
        assert runtime.server is None  # nothing was started
        assert [c.method for c in fake.calls] == ["auth.test"]  # once: a refused token is not retried


def test_socket_start_with_a_refused_app_token_closes_the_handler(papers_store, settings, strict_logs):
    strict_logs.allow("Failed to retrieve WSS URL")  # Bolt's own log of the refusal this test provokes
    with FakeSlack(teams={"xoxb-good": Team("T1", "UBOT", "BBOT")}) as fake:
        settings.slack.api_url = fake.api_url
        runtime = create_runtime(Commands(papers_store, settings), settings,
                                 Secrets(slack_bot_token="xoxb-good", slack_app_token="xapp-refused-secret"))
        fake.fail_next("apps.connections.open", error="invalid_auth")  # as Slack answers a wrong xapp- token
        with pytest.raises(SlackStartError, match=r"Socket Mode connection failed: the token was refused "
                                                  r"\(invalid_auth\): check SLACK_APP_TOKEN") as info:
            asyncio.run(runtime.start())
        assert "refused-secret" not in str(info.value) and runtime._socket is None
        assert [c.method for c in fake.calls] == ["auth.test", "apps.connections.open"]


def run_cli(*args, env_extra, tmp_path):
    config = tmp_path / "paperbot.toml"
    config.write_text(f'data_dir = "{tmp_path.as_posix()}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PAPERBOT_"))}
    env.update(PAPERBOT_CONFIG=str(config), **env_extra)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_paperbot_run_with_slack_unreachable_exits_1_with_one_error_line(tmp_path, level):
    """What a fresh clone gets with fake tokens and no network: one error line, exit status 1,
    no token, no Bolt warning; the traceback only with --log-level DEBUG."""
    port = closed_port()
    result = run_cli("--log-level", level, "run", "--no-bootstrap", tmp_path=tmp_path, env_extra={
        "SLACK_BOT_TOKEN": "xoxb-fake-secret", "SLACK_APP_TOKEN": "xapp-fake-secret",
        "PAPERBOT_SLACK__API_URL": f"http://127.0.0.1:{port}/api/"})
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors == [f"error Slack auth.test failed: cannot reach 127.0.0.1:{port} (Connection refused)"], out
    assert "fake-secret" not in out and "will be unused" not in out and "level=warning" not in out
    assert ("Traceback" in out) == (level == "DEBUG")
    if level == "INFO":
        assert len(result.stderr.splitlines()) <= 3, out  # paperbot starting / stopped, and the error
