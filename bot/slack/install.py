"""Slack OAuth installation and state stores, in paperbot's own database, and what a new installation resumes.

slack_sdk ships SQLAlchemy stores; they keep their tables (``slack_bots``,
``slack_installations``, ``slack_oauth_states``) next to paperbot's. The table
definitions are slack_sdk's; Alembic migration 0003 creates them, so the whole
schema is versioned in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

log = logging.getLogger(__name__)

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



def resuming_callbacks(present: Callable[[str], object]) -> CallbackOptions:
    """Bolt's OAuth callbacks, the success one first calling ``present(workspace)`` (``Commands.bot_present``):
    a workspace installing the app again resumes what its uninstall paused (:mod:`bot.pauses`). The pages shown
    are Bolt's own; a database error resuming is logged, and the installation stands."""

    def success(args: SuccessArgs):
        workspace = args.installation.team_id or args.installation.enterprise_id
        if workspace:
            try:
                present(workspace)
            except Exception as exc:
                log.warning("app return failed", extra={"team": workspace, "error": f"{type(exc).__name__}: {exc}"})
        return args.default.success(args)

    def failure(args: FailureArgs):
        return args.default.failure(args)

    return CallbackOptions(success=success, failure=failure)


def installed_since(app: App, body: dict) -> bool:
    """Whether the app is installed in the workspace of an ``app_uninstalled`` or ``tokens_revoked`` callback
    ``body`` again, after it: with OAuth, its bot installation is newer than the event's ``event_time`` (epoch
    seconds); with one workspace, the bot token answers ``auth.test`` for that team. For an event dispatched
    again (:mod:`bot.slack.inbox`) long after it came, so it pauses no workspace installed since."""
    team, enterprise = body.get("team_id"), body.get("enterprise_id")
    if app.installation_store is not None:
        bot = app.installation_store.find_bot(enterprise_id=enterprise, team_id=team)
        return bot is not None and float(bot.installed_at) > float(body.get("event_time") or 0)
    try:
        return app.client.auth_test().get("team_id") == team
    except (SlackApiError, OSError):  # the token is dead (or Slack unreachable): the uninstall stands
        return False
