"""``paperbot stats``: counts of what the database holds."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.state import JsonOpt, console, emit_json, state

#: The table's words for the JSON keys that say too little alone.
_LABELS = {"digests": "digests ingested", "deliveries": "digests posted"}


def stats_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Counts of papers, digests, users, channels and feedback."""
    from sqlalchemy import func, select

    from recommender.store import Channel, Delivery, Digest, Feedback, Member, Paper

    store = state(ctx).store()
    with store.session() as session:
        def count(col, *where):
            return session.scalar(select(func.count(col)).where(*where)) or 0

        data = {
            "papers": count(Paper.id),
            "digests": count(Digest.id),
            "users": count(Member.id),
            "channels": count(Channel.id),
            "feedback": count(Feedback.id),
            "likes": count(Feedback.id, Feedback.value > 0),
            "dislikes": count(Feedback.id, Feedback.value < 0),
            "deliveries": count(Delivery.id, Delivery.status == "posted"),
        }
    database = store.engine.url.render_as_string(hide_password=True)
    if as_json:
        return emit_json({**data, "database": database})
    # the URL on a line of its own, as status says it: a title is wrapped to the table's width (22 columns)
    console.print(f"Database: {escape(database)}", highlight=False, soft_wrap=True)
    table = Table("what", "count")
    for key, value in data.items():  # which digests: those read in, and those posted (a trial read one as the other)
        table.add_row(_LABELS.get(key, key), str(value))
    console.print(table)
