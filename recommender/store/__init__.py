"""The paper store: SQLAlchemy models, sessions and Alembic migrations."""

from recommender.store.db import Store, open_store, upgrade
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
    "Store", "open_store", "upgrade", "ArxivLookup", "Base", "Channel", "ChannelChange", "Delivery", "DeliveryItem",
    "Digest", "DigestEntry", "Feedback", "Member", "ModelState", "Paper",
]
