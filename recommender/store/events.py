"""Chat platform events already handled, so that one delivered again does nothing twice.

Slack redelivers an Events API callback it thinks was lost (the same ``event_id``, with
``X-Slack-Retry-Num``). The command layer records the event's id in the transaction of its
effect (``bot/commands/events.py``): committed together, or not at all. Made by migration 0016.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from recommender.store.models import Base, UTCDateTime


class HandledEvent(Base):
    """One platform event whose effect is stored (or whose answer was given): ``(platform, event_id)``.

    ``event_id`` is the platform's own id of the event (Slack's ``Ev…``, unique across workspaces),
    ``kind`` its type (``file_shared``, ``reaction_added``…), ``handled_at`` when it was handled (UTC);
    rows older than a day are deleted (:data:`bot.commands.events.KEPT`).
    """

    __tablename__ = "handled_events"
    __table_args__ = (Index("ix_handled_events_handled_at", "handled_at"),)

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
