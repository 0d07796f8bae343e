"""Structured logging through structlog: one logfmt line per event, ``key=value`` pairs, no secrets.

The code logs with the standard library (``logging.getLogger(__name__)``,
facts in ``extra=``); structlog's ``ProcessorFormatter`` renders every record,
ours and the libraries', as ``ts=… level=… logger=… event="…" key=value …``
(https://www.structlog.org/en/stable/standard-library.html). A traceback is
kept whole in ``exception="…"`` (its newlines escaped, so one event stays one line).
"""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ["formatter", "setup_logging"]

NOISY = ("httpx", "httpcore", "apscheduler.executors.default", "discord.gateway", "alembic")


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
