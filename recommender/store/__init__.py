"""The paper store: SQLAlchemy models, sessions and Alembic migrations."""

from recommender.store.db import Store, open_store, schema_lock, upgrade
from recommender.store.errors import ReadOnlyDatabaseError, StoreError, describe_db_error
from recommender.store.models import (
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
    "Store", "open_store", "schema_lock", "upgrade", "ReadOnlyDatabaseError", "StoreError", "describe_db_error",
    "Base", "Channel", "ChannelChange", "Delivery", "DeliveryItem", "Digest", "DigestEntry", "Feedback", "Member",
    "ModelState", "Paper",
]
