"""A burst of signed ``/papers`` slash commands against Slack's HTTP mode, as ``paperbot run`` serves it.

Sends ``--commands`` signed slash commands at once (one connection each, all
released by one barrier) to :func:`bot.slack.http.serve_http` (Bolt's WSGI
adapter on waitress) and prints, per server, how many were acknowledged with
HTTP 200 and the acknowledgement times (seconds from release to response).
The baseline in the same run is the standard library's threading HTTP server
with its default listen backlog of 5, which is what the hand-written server of
earlier versions used. Slack wants every command acknowledged within 3 s.

The command (``interests list`` by default) runs against a fresh SQLite store;
its answer goes to a local stand-in for ``response_url``.

Usage: ``PYTHONPATH=. .venv/bin/python benchmarks/slack_burst.py [--commands 100] [--text "interests list"]``
"""

from __future__ import annotations

import argparse
import http.client
import logging
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.commands import Commands
from bot.settings import Secrets, Settings
from bot.slack.app import build_app
from bot.slack.http import serve_http, wsgi_app
from recommender.store import Store

SECRET = "benchmark-signing-secret"
ACK_BUDGET = 3.0


class _Sink(BaseHTTPRequestHandler):
    """response_url and Web API stand-in: answers every POST with ok."""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """The baseline: stdlib threading server, default listen backlog (5)."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def signed(text: str, n: int, response_url: str) -> tuple[bytes, dict]:
    body = urlencode({
        "token": "x", "team_id": "T1", "team_domain": "lab", "channel_id": "C1", "channel_name": "reading",
        "user_id": f"U{n}", "user_name": f"user{n}", "command": "/papers", "text": text,
        "response_url": response_url, "trigger_id": f"t{n}",
    })
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature}
    return body.encode(), headers


def burst(url: str, requests: list[tuple[bytes, dict]]) -> list[tuple[int | str, float]]:
    """Send every request at once; (status or error name, seconds to the response) each."""
    host = urlsplit(url)
    barrier = threading.Barrier(len(requests))

    def send(request):
        body, headers = request
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        barrier.wait()
        start = time.perf_counter()
        try:
            conn.request("POST", "/slack/events", body, headers)
            status = conn.getresponse().status
        except OSError as exc:
            status = type(exc).__name__
        finally:
            conn.close()
        return status, time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def report(name: str, results: list[tuple[int | str, float]]) -> None:
    acked = sorted(t for status, t in results if status == 200)
    failed = [status for status, _ in results if status != 200]
    within = sum(1 for t in acked if t <= ACK_BUDGET)
    line = f"{name:<34} {len(acked):>3}/{len(results)} acknowledged, {within:>3} within {ACK_BUDGET:g} s"
    if acked:
        q = statistics.quantiles(acked, n=20) if len(acked) > 1 else [acked[0]] * 19
        line += f"; ack seconds p50 {statistics.median(acked):.3f} p95 {q[18]:.3f} max {acked[-1]:.3f}"
    if failed:
        line += f"; failed: {', '.join(sorted({str(f) for f in failed}))} ({len(failed)})"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=100, help="simultaneous slash commands")
    parser.add_argument("--text", default="interests list", help="the /papers command line each sends")
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N" for each queued request

    sink = _SinkServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_url = f"http://127.0.0.1:{sink.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        store = Store(f"sqlite:///{Path(tmp) / 'burst.db'}")
        app = build_app(Commands(store, settings), settings, secrets=Secrets(slack_signing_secret=SECRET),
                        client=WebClient(token="xoxb-bench", base_url=sink_url + "/api/"), token_verification=False)
        print(f"{args.commands} simultaneous `/papers {args.text}`, one connection each", flush=True)

        server = serve_http(app, "127.0.0.1", 0)
        try:
            report("waitress + Bolt WSGI adapter", burst(server.url, [signed(args.text, n, sink_url + "/hook") for n in range(args.commands)]))
        finally:
            server.close()

        baseline = make_server("127.0.0.1", 0, wsgi_app(app), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        threading.Thread(target=baseline.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{baseline.server_address[1]}"
            report("baseline: stdlib server, backlog 5", burst(url, [signed(args.text, n, sink_url + "/hook") for n in range(args.commands)]))
        finally:
            baseline.shutdown()
            baseline.server_close()
        store.dispose()
    sink.shutdown()


if __name__ == "__main__":
    main()
