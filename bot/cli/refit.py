"""``paperbot refit``: fit a new TF-IDF model on every stored paper and store it with every paper's row."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from bot.cli.state import JsonOpt, console, emit_json, state


def refit_cmd(
    ctx: typer.Context,
    if_needed: Annotated[bool, typer.Option(
        "--if-needed", help="Only when the refit policy asks (the corpus grew by half since the last fit, or by 1 % since a fit a week old).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Refit the TF-IDF model on every stored paper.

    A running bot keeps its model until it sees the new one, then swaps it in.
    """
    from bot.digest import counted
    from recommender.text.current import CurrentVectors

    store = state(ctx).store()
    vectors = CurrentVectors()
    if if_needed:
        with store.session() as session:
            due = vectors.needs_refit(session)
        if not due:
            if as_json:
                return emit_json({"refitted": False})
            console.print("The TF-IDF model is up to date; nothing to refit.")
            return
    start = time.perf_counter()
    model = vectors.refit(store)
    seconds = time.perf_counter() - start
    data = {"refitted": True, "model_id": model.state_id, "papers": len(model.rows), "features": model.n_features,
            "seconds": round(seconds, 1)}
    if as_json:
        return emit_json(data)
    console.print(f"TF-IDF model {model.state_id}: {counted(len(model.rows), 'paper')}, {counted(model.n_features, 'feature')}, "
                  f"{seconds:.1f} s.")
