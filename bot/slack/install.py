"""Slack OAuth installation and state stores, in paperbot's own database.

slack_sdk ships SQLAlchemy stores; they keep their tables (``slack_bots``,
``slack_installations``, ``slack_oauth_states``) next to paperbot's. The table
definitions are slack_sdk's; Alembic migration 0003 creates them, so the whole
schema is versioned in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

#: Seconds an OAuth ``state`` stays valid between /slack/install and the redirect.
STATE_EXPIRATION_SECONDS = 600


@dataclass(frozen=True)
class SlackStores:
    """The two stores an OAuth (multi-workspace) app needs."""

    installations: SQLAlchemyInstallationStore
    states: SQLAlchemyOAuthStateStore


def open_stores(engine: Engine, client_id: str, *, state_expiration_seconds: int = STATE_EXPIRATION_SECONDS) -> SlackStores:
    """Installation and OAuth state stores on ``engine`` (tables from migration 0003).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (``Store.engine``): SQLite or PostgreSQL.
    client_id : str
        The Slack app's client id; installations are kept per client id.
    state_expiration_seconds : int
        Lifetime of an OAuth state, seconds.

    Returns
    -------
    SlackStores

    Raises
    ------
    sqlalchemy.exc.SQLAlchemyError
        When the database cannot be reached.
    """
    installations = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=state_expiration_seconds, engine=engine)
    return SlackStores(installations, states)

