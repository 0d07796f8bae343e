"""Tables in our database whose schema belongs to a library, not to ``models.py``.

APScheduler's job store creates ``apscheduler_jobs`` itself; slack_sdk's OAuth
stores read and write the tables that migration 0003 creates (frozen DDL).
Alembic's autogenerate must neither drop nor alter them.
"""

from __future__ import annotations

EXTERNAL_TABLES = frozenset({"apscheduler_jobs", "slack_installations", "slack_bots", "slack_oauth_states"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object`` hook: False for library-owned tables and their indexes."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table_name not in EXTERNAL_TABLES
