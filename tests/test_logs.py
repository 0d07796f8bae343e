"""Log lines: one logfmt line per event with the record's extras; a traceback is kept whole."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import formatter


@contextmanager
def captured(name: str, level: int) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """Logger ``name`` at ``level``, formatted as paperbot formats its logs, into a string buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter())
    log = logging.getLogger(name)
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(level)
    try:
        yield log, out
    finally:
        log.removeHandler(handler)
        log.propagate = True
        log.setLevel(logging.NOTSET)


def test_an_event_is_one_line_with_its_extras_and_its_whole_traceback():
    with captured("paperbot.test_logs", logging.INFO) as (log, out):
        log.info("source run", extra={"source": "hf", "status": "ok", "new_papers": 3, "note": 'a "b" c'})

        def inner():
            raise ValueError("deep cause")

        try:
            inner()
        except ValueError:
            log.exception("source run crashed", extra={"source": "hf"})
    first, second = out.getvalue().splitlines()
    assert 'level=info logger=paperbot.test_logs event="source run" source=hf status=ok new_papers=3' in first
    assert r'note="a \"b\" c"' in first and first.startswith("ts=")
    assert 'level=error' in second and 'event="source run crashed"' in second
    # The whole traceback: its first line, the frame that raised, and the error itself.
    assert "Traceback (most recent call last):" in second
    assert "in inner" in second and "ValueError: deep cause" in second


def test_oauth_codes_states_and_tokens_never_reach_a_debug_line():
    with captured("slack_bolt.test_redaction", logging.DEBUG) as (log, out):
        log.debug("Handling an OAuth callback (query: code=4242.abcdef&state=s3cr3t-state)")
        log.debug("oauth.v2.access params: %s", {"code": "4242.abcdef", "client_secret": "shh", "client_id": "123.456"})
        log.debug("callback", extra={"url": "/slack/oauth_redirect?state=s3cr3t-state&code=4242.abcdef"})
    text = out.getvalue()
    assert "4242.abcdef" not in text and "s3cr3t-state" not in text and "shh" not in text
    assert text.count("[redacted]") == 6 and "123.456" in text  # the client id is not a secret
