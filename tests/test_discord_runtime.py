"""The Discord runtime for ``paperbot run``: token, intents, command tree, sync on demand, start/stop."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import discord
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.commands import Commands
from bot.delivery import DeliveryTarget, DigestPost
from bot.digest import DigestMessage
from bot.discord import DiscordPoster, DiscordRuntime, PaperBot, create_runtime
from bot.discord.runtime import DiscordStartError
from bot.settings import DiscordSettings, Secrets

pytestmark = pytest.mark.strict_logs


@pytest.fixture
def cmds(store, settings):
    return Commands(store, settings)


def test_create_runtime_needs_the_token(cmds, settings):
    with pytest.raises(RuntimeError, match="DISCORD_TOKEN"):
        create_runtime(cmds, settings, Secrets(discord_token=None))
    with pytest.raises(RuntimeError, match="DISCORD_TOKEN"):
        create_runtime(cmds, settings, Secrets(discord_token=SecretStr("  ")))


def test_create_runtime_uses_default_intents_and_gives_a_discord_poster(cmds, settings):
    runtime = create_runtime(cmds, settings, Secrets(discord_token=SecretStr("token-123")))
    assert isinstance(runtime, DiscordRuntime) and runtime.name == "discord"
    assert runtime.client.intents == discord.Intents.default()
    assert not (runtime.client.intents.members or runtime.client.intents.presences or runtime.client.intents.message_content)
    assert runtime.client.intents.guild_reactions and runtime.client.intents.dm_reactions
    posters = runtime.posters()
    assert list(posters) == ["discord"] and isinstance(posters["discord"], DiscordPoster)
    assert posters["discord"].platform == "discord"
    assert runtime.client.sync_commands is False
    assert create_runtime(cmds, settings, Secrets(discord_token=SecretStr("t")), sync_commands=True).client.sync_commands
    synced = settings.model_copy(update={"discord": DiscordSettings(sync_commands=True)})
    assert create_runtime(cmds, synced, Secrets(discord_token=SecretStr("t"))).client.sync_commands


def test_the_members_intent_is_asked_for_only_when_configured(cmds, settings):
    """``[discord] members_intent``: GUILD_MEMBER_REMOVE (a member who left) needs the privileged intent."""
    members = settings.model_copy(update={"discord": DiscordSettings(members_intent=True)})
    intents = create_runtime(cmds, members, Secrets(discord_token=SecretStr("t"))).client.intents
    expected = discord.Intents.default()
    expected.members = True
    assert intents == expected and not (intents.presences or intents.message_content)


async def test_the_members_intent_asks_for_no_member_list_and_keeps_none(cmds, settings, monkeypatch):
    """The members intent is for GUILD_MEMBER_REMOVE alone. discord.py would otherwise ask the gateway for every
    member of every server (chunking: at each connect, before READY, and at a join) and keep them all; a server
    the bot joins is handled at once instead, as without the intent, and its members are not kept."""
    members = settings.model_copy(update={"discord": DiscordSettings(members_intent=True)})
    client = create_runtime(cmds, members, Secrets(discord_token=SecretStr("t"))).client
    state = client._connection  # what the gateway's events are parsed by
    dispatched: list[str] = []
    monkeypatch.setattr(state, "dispatch", lambda event, *args: dispatched.append(event))
    people = [{"user": {"id": str(900 + i), "username": name, "discriminator": "0", "avatar": None},
               "roles": [], "joined_at": "2026-12-01T09:00:00+00:00", "deaf": False, "mute": False, "flags": 0}
              for i, name in enumerate(("ada", "alan"))]
    state.parse_guild_create({  # GUILD_CREATE as Discord sends it when the bot joins a large server
        "id": "700", "name": "Lab", "member_count": 5000, "members": people, "channels": [], "threads": [],
        "roles": [{"id": "700", "name": "@everyone", "permissions": "0", "position": 0}], "emojis": [], "stickers": [],
        "features": [], "owner_id": "1", "large": True,
    })
    assert dispatched == ["guild_join"]  # handled now, no member list asked for first
    guild = client.get_guild(700)
    assert guild is not None and guild.get_member(900) is None and guild.get_member(901) is None


@pytest.mark.parametrize("sync", [False, True])
async def test_setup_hook_adds_papers_and_syncs_only_on_demand(cmds, monkeypatch, sync):
    bot = PaperBot(cmds, sync_commands=sync)
    calls = []

    async def fake_sync(*, guild=None):
        calls.append(guild)
        return []

    monkeypatch.setattr(bot.tree, "sync", fake_sync)
    await bot.setup_hook()
    assert calls == ([None] if sync else [])
    [papers] = bot.tree.get_commands()
    assert papers.name == "papers"


async def test_the_papers_tree_has_the_slack_command_set_with_typed_options(cmds):
    bot = PaperBot(cmds)
    await bot.setup_hook()
    payload = bot.tree.get_commands()[0].to_dict(bot.tree)  # what a sync would send; validates names and options
    top = {o["name"]: o for o in payload["options"]}
    assert set(top) == {"search", "picks", "start", "interests", "subscribe", "unsubscribe", "channel", "like", "dislike", "unrate", "import",
                        "who", "mentions", "club", "help"}
    assert top["import"]["options"][0]["type"] == discord.AppCommandOptionType.attachment.value
    assert {o["name"] for o in top["interests"]["options"]} == {"add", "remove", "list"}
    assert {o["name"] for o in top["channel"]["options"]} == {"setup", "off", "status"}
    assert {o["name"] for o in top["club"]["options"]} == {"set", "off", "status", "vote"}
    vote = next(o for o in top["club"]["options"] if o["name"] == "vote")["options"][0]
    assert (vote["type"], vote["min_value"], vote["max_value"]) == (discord.AppCommandOptionType.integer.value, 1, 3)
    setup = {o["name"]: o for o in next(o for o in top["channel"]["options"] if o["name"] == "setup")["options"]}
    assert setup["size"]["type"] == discord.AppCommandOptionType.integer.value
    assert (setup["size"]["min_value"], setup["size"]["max_value"]) == (1, 20)
    assert setup["timezone"]["autocomplete"] and not setup["time"].get("required", False)
    subscribe = {o["name"]: o for o in top["subscribe"]["options"]}
    assert subscribe["timezone"]["autocomplete"]
    assert top["who"]["options"][0]["name"] == "paper" and top["who"]["options"][0]["required"]
    mentions = {o["name"]: o for o in top["mentions"]["options"]}
    assert set(mentions) == {"on", "off", "me"}
    state = mentions["me"]["options"][0]
    assert state["required"] and [c["value"] for c in state["choices"]] == ["on", "off"]
    search = {o["name"]: o for o in top["search"]["options"]}
    assert search["query"]["required"] and search["share"]["type"] == discord.AppCommandOptionType.boolean.value


async def test_start_returns_once_connecting_and_stop_closes(cmds, monkeypatch):
    runtime = DiscordRuntime(cmds, "token-123")
    client = runtime.client
    seen = {}
    closed = asyncio.Event()

    async def login(token):
        seen["token"] = token
        await client.setup_hook()

    async def connect(*, reconnect=True):
        seen["reconnect"] = reconnect
        await closed.wait()

    async def close():
        closed.set()

    monkeypatch.setattr(client, "login", login)
    monkeypatch.setattr(client, "connect", connect)
    monkeypatch.setattr(client, "close", close)
    await runtime.start()
    assert seen == {"token": "token-123"} and client.cog is not None  # logged in, setup_hook ran
    task = runtime._task
    assert task is not None and not task.done()  # the gateway runs in the background
    await runtime.stop()
    assert task.done() and runtime._task is None and closed.is_set()
    assert seen["reconnect"] is True


async def test_post_refuses_to_block_the_clients_own_loop(cmds):
    poster = DiscordPoster(PaperBot(cmds), loop=asyncio.get_running_loop())
    target = DeliveryTarget("channel", 1, "discord", "42", "99", "reading")
    with pytest.raises(RuntimeError, match="post_async"):
        poster.post(DigestPost(1, target, DigestMessage("t", dt.date(2026, 11, 23))))


def test_post_before_login_is_a_clear_error(cmds):
    poster = DiscordPoster(PaperBot(cmds))
    target = DeliveryTarget("member", 1, "discord", "42", "7", "ada")
    with pytest.raises(RuntimeError, match="not started"):
        poster.post(DigestPost(1, target, DigestMessage("t", dt.date(2026, 11, 23))))


# -- start failures: discord.py's real HTTP client against local addresses ----------------------------
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RefusingDiscord(BaseHTTPRequestHandler):
    """Answers every request as Discord answers a wrong bot token."""

    def do_GET(self):  # noqa: N802
        body = json.dumps({"message": "401: Unauthorized", "code": 0}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_discord(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingDiscord)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{server.server_address[1]}/api/v10")
    yield
    server.shutdown()
    server.server_close()


def sessions(runtime) -> list[aiohttp.ClientSession]:
    return [v for v in vars(runtime.client.http).values() if isinstance(v, aiohttp.ClientSession)]


async def test_start_with_discord_unreachable_is_one_clean_error_and_closes_the_session(cmds, monkeypatch):
    port = closed_port()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    runtime = DiscordRuntime(cmds, "token-never-shown")
    with pytest.raises(DiscordStartError) as info:
        await runtime.start()
    assert str(info.value) == f"Discord login failed: cannot reach 127.0.0.1:{port} (Connection refused)"
    assert "never-shown" not in str(info.value)
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)
    assert runtime.client.is_closed() and runtime._task is None
    assert sessions(runtime) and all(s.closed for s in sessions(runtime))  # no "Unclosed client session"


async def test_start_with_a_refused_token_says_so(cmds, refusing_discord):
    runtime = DiscordRuntime(cmds, "token-never-shown")
    with pytest.raises(DiscordStartError, match=r"^Discord login failed: the token was refused: check DISCORD_TOKEN") as info:
        await runtime.start()
    assert isinstance(info.value.__cause__, discord.LoginFailure) and "never-shown" not in str(info.value)
    assert runtime.client.is_closed() and all(s.closed for s in sessions(runtime))


def test_paperbot_run_with_a_refused_discord_token_exits_1_with_one_error_line(db_url, tmp_path, monkeypatch,
                                                                               refusing_discord):
    from bot.cli import app

    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "token-never-shown")
    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["--database-url", db_url, "run", "--no-bootstrap"])
    out = result.output
    assert result.exit_code == 1, out
    assert [line for line in out.splitlines() if line.startswith("error")] == [
        "error Discord login failed: the token was refused: check DISCORD_TOKEN (Bot tab → Reset Token)"], out
    assert "never-shown" not in out and "Traceback" not in out and "Unclosed" not in out
