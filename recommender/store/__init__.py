"""The paper store: SQLAlchemy models, sessions and Alembic migrations."""

from recommender.store.db import Store, upgrade
from recommender.store.models import (
    ArxivLookup,
    Base,
    Channel,
    ChannelChange,
    Delivery,
    DeliveryItem,
    Digest,
    DigestEntry,
    Feedback,
    Member,
    ModelState,
    Paper,
)

__all__ = [
    "Store", "upgrade", "ArxivLookup", "Base", "Channel", "ChannelChange", "Delivery", "DeliveryItem",
    "Digest", "DigestEntry", "Feedback", "Member", "ModelState", "Paper",
]
