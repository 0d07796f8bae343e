"""Structured logging through structlog: one logfmt line per event, ``key=value`` pairs, no secrets.

The code logs with the standard library (``logging.getLogger(__name__)``,
facts in ``extra=``); structlog's ``ProcessorFormatter`` renders every record,
ours and the libraries', as ``ts=… level=… logger=… event="…" key=value …``
(https://www.structlog.org/en/stable/standard-library.html). A traceback is
kept whole in ``exception="…"`` (its newlines escaped, so one event stays one line).
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

__all__ = ["formatter", "redact", "setup_logging"]

NOISY = ("httpx", "httpcore", "apscheduler.executors.default", "discord.gateway", "alembic")

#: OAuth values that must never reach a log, in query strings (``code=…&state=…``) and in
#: reprs of dicts (``'code': '…'``), as Bolt's and slack_sdk's DEBUG lines print requests.
_SECRET_VALUES = re.compile(
    r"(?P<key>\b(?:code|state|client_secret|access_token|refresh_token|token))"
    r"(?P<sep>=|['\"]?\s*:\s*['\"]?)(?P<value>[^&\s'\",;}]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the values of OAuth ``code``, ``state`` and token parameters replaced by ``[redacted]``."""
    return _SECRET_VALUES.sub(lambda m: f"{m['key']}{m['sep']}[redacted]", text)


def _redact_event(_logger, _name, event_dict: dict) -> dict:
    """structlog processor: :func:`redact` every string value of the event, the traceback included."""
    return {k: redact(v) if isinstance(v, str) else v for k, v in event_dict.items()}


def formatter() -> logging.Formatter:
    """The logfmt formatter: timestamp (ISO 8601, UTC), level, logger, event, the record's extras, exception."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact_event,
            structlog.processors.LogfmtRenderer(key_order=["ts", "level", "logger", "event"], bool_as_flag=False),
        ],
    )


def setup_logging(level: str = "INFO") -> None:
    """Send every log record to stderr, one logfmt line per event, at ``level`` and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
