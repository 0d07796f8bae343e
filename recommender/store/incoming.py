"""Chat platform events received and not yet handled: kept before the platform gets its answer.

Slack's Events API takes an app's ``200`` as the event delivered and never sends it again, while the
app handles it afterwards. The adapter stores each event here before answering (``bot/slack/inbox.py``);
the command layer deletes it in the transaction of its effect, beside the ``handled_events`` row, and
the adapter when a delivery found nothing to do or the event done. What a killed process left is
dispatched again later (``bot/commands/incoming.py``). Made by migration 0019.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recommender.store.models import Base, UTCDateTime


class IncomingEvent(Base):
    """One platform event received and not yet settled: ``(platform, event_id)``.

    ``event_id`` is the platform's own id (Slack's ``Ev…``), ``kind`` its type (``file_shared``…),
    ``workspace`` the team (or enterprise) it came from, ``payload`` the event as the platform sent it
    (opaque text here: Slack's callback as JSON), ``received_at`` when it first came (UTC),
    ``replays`` how many times it was dispatched again, the last at ``replayed_at``.
    """

    __tablename__ = "incoming_events"
    __table_args__ = (Index("ix_incoming_events_received_at", "received_at"),)

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    replays: Mapped[int] = mapped_column(Integer, default=0)
    replayed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
