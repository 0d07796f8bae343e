"""``[discord] members_intent = true`` without the Developer Portal's Server Members Intent switch.

discord.py's real HTTP and gateway clients against a local fake Discord: its application (``GET
/oauth2/applications/@me``, read at login) says whether the portal grants the intent (``flags``), and its
gateway closes a connection that asks for an intent not granted with code 4014, as Discord does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import discord
import pytest
import yarl
from aiohttp import web
from typer.testing import CliRunner

from bot.commands import Commands
from bot.discord import DiscordRuntime
from bot.discord.runtime import DiscordStartError

pytestmark = pytest.mark.strict_logs

BOT = {"id": "1000", "username": "paperbot", "discriminator": "0", "avatar": None, "bot": True, "flags": 0}
#: ``flags`` of an application whose portal switch for the Server Members Intent is on (``1 << 15``).
MEMBERS_LIMITED = 1 << 15
FIX = ("turn on Server Members Intent in the Discord Developer Portal (your application → Bot → Privileged Gateway "
       "Intents), or set [discord] members_intent = false")


def application(flags: int) -> dict:
    return {"id": "2000", "name": "paperbot", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": BOT, "verify_key": "k", "flags": flags}


@pytest.fixture
def cmds(store, settings):
    return Commands(store, settings)


@pytest.fixture
def discord_without_the_intent(monkeypatch):
    """A fake discord.com over HTTP (its own thread): the token works; the application's flags grant no privileged intent."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps(BOT if self.path.endswith("/users/@me") else application(0)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{server.server_address[1]}/api/v10")
    yield
    server.shutdown()
    server.server_close()


async def test_start_refuses_the_members_intent_the_portal_does_not_grant(cmds, discord_without_the_intent):
    runtime = DiscordRuntime(cmds, "token-never-shown", members_intent=True)
    with pytest.raises(DiscordStartError) as info:
        await runtime.start()
    assert str(info.value) == f"Discord refuses the Server Members Intent that [discord] members_intent = true asks for: {FIX}"
    assert runtime.client.is_closed() and runtime._task is None  # no gateway tried, the HTTP session closed


async def test_start_without_the_members_intent_needs_no_portal_switch(cmds, discord_without_the_intent, monkeypatch):
    runtime = DiscordRuntime(cmds, "token-never-shown")

    async def connect(*, reconnect=True):  # the gateway is not what this test is about
        return None

    monkeypatch.setattr(runtime.client, "connect", connect)
    await runtime.start()
    await runtime.stop()


def test_paperbot_run_exits_1_saying_to_turn_the_intent_on_or_off(db_url, tmp_path, monkeypatch, discord_without_the_intent):
    from bot.cli import app

    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "token-never-shown")
    monkeypatch.setenv("PAPERBOT_DISCORD__MEMBERS_INTENT", "true")
    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["--database-url", db_url, "run", "--no-bootstrap"])
    out = result.output
    assert result.exit_code == 1, out
    assert [line for line in out.splitlines() if line.startswith("error")] == [
        f"error Discord refuses the Server Members Intent that [discord] members_intent = true asks for: {FIX}"], out
    assert "never-shown" not in out and "Traceback" not in out and "Unclosed" not in out


async def test_a_gateway_refusing_the_intent_later_is_one_error_line_saying_what_to_do(cmds, monkeypatch, strict_logs, caplog):
    """The application granted the intent at login, and the gateway refuses it (the switch turned off since):
    discord.py ends the connection with PrivilegedIntentsRequired; the log says so once, with the fix, no traceback."""
    closed = []

    async def gateway(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))  # HELLO
        async for message in ws:  # a heartbeat (op 1), then IDENTIFY (op 2) with the intents asked for
            sent = json.loads(message.data)
            if sent["op"] == 2:
                closed.append(sent["d"]["intents"])
                break
        await ws.close(code=4014, message=b"Disallowed intent(s).")
        return ws

    def answer(data: dict) -> web.Response:  # discord.py reads JSON only as exactly "application/json"
        return web.Response(body=json.dumps(data).encode(), content_type="application/json")

    async def rest(request: web.Request) -> web.Response:
        path = request.path
        if path.endswith("/users/@me"):
            return answer(BOT)
        if path.endswith("/oauth2/applications/@me"):
            return answer(application(MEMBERS_LIMITED))
        return answer({"url": f"ws://127.0.0.1:{request.url.port}/gateway", "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})

    fake = web.Application()
    fake.router.add_get("/gateway", gateway)
    fake.router.add_get("/api/v10/{tail:.*}", rest)
    runner = web.AppRunner(fake)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{port}/gateway"))
    strict_logs.allow("discord gateway stopped")
    runtime = DiscordRuntime(cmds, "token-never-shown", members_intent=True)
    try:
        await runtime.start()
        task = runtime._task
        assert task is not None
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await task
        await asyncio.sleep(0)  # the task's done callbacks run on the next turn of the loop
        assert closed and closed[0] & discord.Intents(members=True).value  # it asked for the members intent
    finally:
        await runtime.stop()
        await runner.cleanup()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.getMessage(), r.exc_info) for r in errors] == [(
        f"discord gateway stopped: Discord refuses the Server Members Intent: {FIX}; "
        "paperbot runs on without Discord until restarted", None)]
