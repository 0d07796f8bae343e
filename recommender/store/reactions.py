"""The 👍/👎 reactions each person has on the bot's paper messages, so that taking one back leaves the other.

A person may react 👍 and 👎 on one message; their opinion of the paper (:class:`~recommender.store.Feedback`,
one per member and paper) is the latest. When they remove the one it holds and the other still stands on that
message, the opinion becomes the other (``bot/commands/feedback.py``). Made by migration 0018; reactions added
before it have no row, and removing one retracts the opinion as before.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from recommender.store.models import Base


class Reaction(Base):
    """A 👍 (``value`` +1) or 👎 (-1) that ``member_id`` has on the message of a posted paper, while it stands.

    The message is the :class:`~recommender.store.DeliveryItem` ``(delivery_id, paper_id)``: the row goes
    with it, and with its member. Added with the reaction's feedback, deleted when the reaction is removed.
    """

    __tablename__ = "reactions"
    __table_args__ = (
        ForeignKeyConstraint(["delivery_id", "paper_id"], ["delivery_items.delivery_id", "delivery_items.paper_id"],
                             ondelete="CASCADE"),
        Index("ix_reactions_item", "delivery_id", "paper_id"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
