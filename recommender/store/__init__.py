"""The paper store: SQLAlchemy models, sessions and Alembic migrations."""

from recommender.store.db import Store, schema_lock, upgrade
from recommender.store.errors import NewerSchemaError, ReadOnlyDatabaseError, StoreError, describe_db_error
from recommender.store.events import HandledEvent
from recommender.store.incoming import IncomingEvent
from recommender.store.models import (
    ArxivLookup,
    Base,
    Channel,
    ChannelChange,
    ClubVote,
    Delivery,
    DeliveryItem,
    Digest,
    DigestEntry,
    Feedback,
    Member,
    Mention,
    Onboarding,
    Paper,
)
from recommender.store.reactions import Reaction
from recommender.store.vectors import ModelState, PaperEmbedding, TfidfRows

__all__ = [
    "Store", "schema_lock", "upgrade", "NewerSchemaError", "ReadOnlyDatabaseError", "StoreError", "describe_db_error",
    "ArxivLookup", "Base", "Channel", "ChannelChange", "ClubVote", "Delivery", "DeliveryItem", "Digest", "DigestEntry", "Feedback",
    "HandledEvent", "IncomingEvent", "Member", "Mention", "ModelState", "Onboarding", "Paper", "PaperEmbedding", "Reaction",
    "TfidfRows",
]
