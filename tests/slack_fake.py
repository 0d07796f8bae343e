"""A local stand-in for the Slack Web API (requests into the bot are built by :mod:`slack_requests`).

``FakeSlack`` is a stdlib HTTP server in a thread. It answers the Web API
methods paperbot uses (``auth.test``, ``chat.postMessage``, ``chat.postEphemeral``, ``chat.update``,
``conversations.open``, ``conversations.history``, ``conversations.replies``,
``files.info`` with downloads of ``files``, ``oauth.v2.access``) and response_url posts, records every call (method,
params from form or JSON bodies or the query string, token) and can be told to
fail: ``fail_next("chat.postMessage", status=429, retry_after=0)``,
``channel_errors["C_GONE"] = "channel_not_found"``, or
``drop_next("chat.postMessage")``: accept the message, then close the
connection without an answer (a response lost after Slack accepted the post),
or ``hold_next``: accept it and answer only when released (kill the caller meanwhile).
As Slack does, it keeps each accepted message with its ``metadata``, returns
them from ``conversations.history`` (top-level messages, newest first, between
``oldest`` and ``latest``, paginated by ``cursor``) and ``conversations.replies``
(the parent, then its replies), with the metadata only when
``include_all_metadata`` is set, and refuses blocks that are not valid Block Kit
(``invalid_blocks``), checked with ``slack_sdk.models.blocks`` (:func:`block_errors`).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block


def block_errors(blocks: list[dict]) -> list[str]:
    """Why ``blocks`` are not valid Block Kit, per ``slack_sdk.models.blocks`` ([] when they are).

    Each block must parse to a known block type, pass the model's validators
    (lengths, required fields) and serialise back to exactly what was given.
    """
    errors = []
    if len(blocks) > 50:
        errors.append(f"{len(blocks)} blocks (at most 50)")
    for raw, block in zip(blocks, Block.parse_all(blocks), strict=True):
        if block is None:
            errors.append(f"unknown block {raw.get('type')!r}")
            continue
        try:
            block.validate_json()
        except SlackObjectFormationError as exc:
            errors.append(f"{raw.get('type')} {raw.get('block_id', '')}: {exc}")
            continue
        if block.to_dict() != raw:
            errors.append(f"{raw.get('type')} {raw.get('block_id', '')}: fields the model does not know")
    return errors


class _Server(ThreadingHTTPServer):
    """Slack's Web API answers bursts: a listen backlog of 5 (socketserver's default) resets
    connections when 100 concurrent commands each call it on a busy machine."""

    request_queue_size = 256
    daemon_threads = True


@dataclass
class Call:
    method: str
    params: dict
    token: str | None = None
    path: str = ""


@dataclass
class Team:
    team_id: str
    bot_user_id: str
    bot_id: str
    name: str = "Team"


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    drop: bool = False  # answer normally, then close the connection instead of sending the answer
    hold: threading.Event | None = None  # answer normally, but send the answer only once this is set


@dataclass
class FakeSlack:
    """The fake Web API. Use as a context manager; ``api_url`` is the WebClient base URL."""

    teams: dict[str, Team] = field(default_factory=dict)  # bot token -> team
    oauth_codes: dict[str, dict] = field(default_factory=dict)  # code -> oauth.v2.access answer
    channel_errors: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file id -> (name, bytes) of uploads

    clock: object = None  # callable returning the epoch seconds of a new ts (default: a fixed 1700000000)

    def __post_init__(self):
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict]] = {}  # channel -> accepted messages, oldest first
        self._cond = threading.Condition()
        self._failures: dict[str, list[Failure]] = {}
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - conversations.* and files.info (GET with a query string), file downloads
                path = self.path.partition("?")[0]
                if path.startswith("/files/"):
                    auth = self.headers.get("Authorization", "")
                    token = auth[7:] if auth.startswith("Bearer ") else None
                    fake._record(Call("download", {"file": path[len("/files/"):]}, token, path))
                    upload = fake.files.get(path[len("/files/"):])
                    status, data = (200, upload[1]) if upload and token in fake.teams else (404, b"not found")
                    self.send_response(status)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self._handle({k: v[0] for k, v in parse_qs(self.path.partition("?")[2]).items()})

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                self._handle(params)

            def _handle(self, params: dict):
                for key in ("blocks", "metadata"):
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                auth = self.headers.get("Authorization", "")
                token = auth[7:] if auth.startswith("Bearer ") else params.get("token")
                if auth.startswith("Basic "):
                    cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                    params.setdefault("client_id", cid)
                    params.setdefault("client_secret", secret)
                path = self.path.partition("?")[0]
                method = path[len("/api/"):] if path.startswith("/api/") else "response_url"
                status, headers, body = fake._answer(Call(method, params, token, path))
                if status is None:  # accepted, answer lost
                    self.close_connection = True
                    return
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the caller is gone (killed while its answer was held)
                    self.close_connection = True

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/hooks/{name}"

    # -- scripting ---------------------------------------------------------------------
    def fail_next(self, method: str, *, status: int = 200, error: str | None = None, retry_after: int | None = None,
                  times: int = 1, after: int = 0) -> None:
        """Let ``after`` calls of ``method`` through, then fail the next ``times`` (HTTP status, Slack error)."""
        with self._cond:
            queue = self._failures.setdefault(method, [])
            queue.extend([None] * after + [Failure(status, error, retry_after) for _ in range(times)])

    def drop_next(self, method: str, *, times: int = 1, after: int = 0) -> None:
        """Let ``after`` calls of ``method`` through, then accept the next ``times`` but close the connection
        without answering: the caller cannot tell whether Slack accepted them."""
        with self._cond:
            queue = self._failures.setdefault(method, [])
            queue.extend([None] * after + [Failure(drop=True) for _ in range(times)])

    def hold_next(self, method: str, *, after: int = 0) -> threading.Event:
        """Let ``after`` calls of ``method`` through, then accept the next one but hold its answer until the
        returned event is set (time to kill the caller while Slack has the message)."""
        release = threading.Event()
        with self._cond:
            self._failures.setdefault(method, []).extend([None] * after + [Failure(hold=release)])
        return release

    # -- inspection --------------------------------------------------------------------
    def of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def invalid_blocks(self) -> list[Call]:
        """Calls refused because their blocks were not valid Block Kit."""
        with self._cond:
            return [c for c in self.calls if c.params.get("_invalid")]

    def posts(self, channel: str | None = None) -> list[Call]:
        """Successful chat.postMessage calls (answered with ok), optionally in one channel."""
        with self._cond:
            return [c for c in self.calls if c.method == "chat.postMessage" and c.params.get("_ok")
                    and (channel is None or c.params.get("channel") == channel)]

    def wait_for(self, predicate, timeout: float = 30.0):
        """Wait until ``predicate(calls)`` is truthy (returns it), or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(list(self.calls))
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls]}")
                self._cond.wait(left)

    # -- answers -----------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _answer(self, call: Call, dropped: bool = False) -> tuple[int | None, dict, dict | str]:
        if not dropped:
            self._record(call)
        with self._cond:
            queue = self._failures.get(call.method)
            failure = queue.pop(0) if queue and not dropped else None
        if failure is not None and (failure.drop or failure.hold):
            status, headers, body = self._answer(call, dropped=True)
            if failure.drop:
                return None, {}, body
            with self._cond:
                self._cond.notify_all()  # accepted: wait_for can see it
            failure.hold.wait(60)
            return status, headers, body
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return failure.status, headers, {"ok": False, "error": failure.error or "ratelimited"}
        invalid = block_errors(call.params.get("blocks") or [])
        if invalid:
            call.params["_invalid"] = invalid
            return 200, {}, {"ok": False, "error": "invalid_blocks", "errors": invalid}
        if call.method == "response_url":
            return 200, {}, "ok"
        handler = getattr(self, "_" + call.method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        if call.method != "oauth.v2.access" and call.token not in self.teams:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        body = handler(call)
        call.params["_ok"] = bool(body.get("ok"))
        return 200, {}, body

    def _auth_test(self, call: Call) -> dict:
        team = self.teams[call.token]
        return {"ok": True, "url": "https://example.slack.com/", "team": team.name, "user": "paperbot",
                "team_id": team.team_id, "user_id": team.bot_user_id, "bot_id": team.bot_id}

    def _chat_postMessage(self, call: Call) -> dict:  # noqa: N802 - Slack's method name
        channel = call.params.get("channel")
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        team, params = self.teams[call.token], call.params
        with self._cond:
            ts = f"{int(self.clock() if self.clock else 1700000000)}.{next(self._ts):06d}"
            message = {"type": "message", "user": team.bot_user_id, "bot_id": team.bot_id, "app_id": "A0PAPERBOT",
                       "team": team.team_id, "text": params.get("text", ""), "ts": ts}
            for key in ("blocks", "metadata"):
                if params.get(key):
                    message[key] = params[key]
            parent = self._find(channel, params.get("thread_ts"))
            if params.get("thread_ts"):
                if parent is None:
                    return {"ok": False, "error": "thread_not_found"}
                message["thread_ts"] = parent["ts"]
                parent.update(thread_ts=parent["ts"], reply_count=parent.get("reply_count", 0) + 1, latest_reply=ts,
                              reply_users=[team.bot_user_id], reply_users_count=1)
            self.messages.setdefault(channel, []).append(message)
        shown = {k: v for k, v in message.items() if k != "metadata"}
        return {"ok": True, "channel": channel, "ts": ts, "message": shown}

    def _chat_postEphemeral(self, call: Call) -> dict:  # noqa: N802 - Slack's method name
        """Show a message to one user in a channel (not kept: it is in no history, as on Slack)."""
        channel = call.params.get("channel")
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if not call.params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        with self._cond:
            ts = f"{int(self.clock() if self.clock else 1700000000)}.{next(self._ts):06d}"
        return {"ok": True, "message_ts": ts}

    def _chat_update(self, call: Call) -> dict:
        """Replace a kept message's text and blocks, as Slack's chat.update does (``message_not_found`` otherwise)."""
        channel, ts = call.params.get("channel"), call.params.get("ts")
        with self._cond:
            message = self._find(channel, ts)
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message["text"] = call.params.get("text", message["text"])
            if call.params.get("blocks"):
                message["blocks"] = call.params["blocks"]
            message["edited"] = {"user": self.teams[call.token].bot_user_id}
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"]}

    def _find(self, channel: str, ts: str | None) -> dict | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def _page(self, call: Call, messages: list[dict]) -> dict:
        """One page of ``messages`` as conversations.history/replies answer: ``oldest``/``latest`` bounds
        (exclusive unless ``inclusive``), ``limit`` (default 100, at most 999), an opaque ``cursor``."""
        p = call.params
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        low, high = float(p.get("oldest") or 0), float(p.get("latest") or 9e12)
        kept = [m for m in messages
                if (low <= float(m["ts"]) <= high if inclusive else low < float(m["ts"]) < high)]
        start = int(base64.b64decode(p["cursor"]).decode().removeprefix("offset:")) if p.get("cursor") else 0
        limit = max(1, min(int(p.get("limit") or 100), 999))
        page, more = kept[start:start + limit], start + limit < len(kept)
        with_metadata = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        page = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}

    def _conversations_history(self, call: Call) -> dict:
        channel = call.params.get("channel")
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        with self._cond:
            top = [m for m in self.messages.get(channel, []) if m.get("thread_ts", m["ts"]) == m["ts"]]
            return {**self._page(call, top[::-1]), "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0}

    def _conversations_replies(self, call: Call) -> dict:
        channel, ts = call.params.get("channel"), call.params.get("ts")
        with self._cond:
            parent = self._find(channel, ts)
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            thread = [parent] + [m for m in self.messages[channel] if m.get("thread_ts") == ts and m is not parent]
            return self._page(call, thread)

    def _files_info(self, call: Call) -> dict:
        upload = self.files.get(call.params.get("file"))
        if upload is None:
            return {"ok": False, "error": "file_not_found"}
        name, data = upload
        return {"ok": True, "file": {"id": call.params["file"], "name": name, "size": len(data),
                                     "url_private_download": f"{self.url}/files/{call.params['file']}"}}

    def _conversations_open(self, call: Call) -> dict:
        users = call.params.get("users")
        return {"ok": True, "channel": {"id": "D" + users}}

    def _oauth_v2_access(self, call: Call) -> dict:
        answer = self.oauth_codes.get(call.params.get("code"))
        if answer is None:
            return {"ok": False, "error": "invalid_code"}
        return answer


def oauth_answer(team: Team, token: str, installer: str = "UINSTALL") -> dict:
    """What oauth.v2.access answers for a bot install into ``team``."""
    return {
        "ok": True, "app_id": "A0PAPERBOT", "authed_user": {"id": installer},
        "scope": "channels:history,chat:write,chat:write.public,commands,files:read,groups:history,im:history,im:write,"
                 "reactions:read", "token_type": "bot",
        "access_token": token, "bot_user_id": team.bot_user_id,
        "team": {"id": team.team_id, "name": team.name}, "enterprise": None, "is_enterprise_install": False,
    }
