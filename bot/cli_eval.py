"""``paperbot eval``: offline evaluation of the recommender against baselines.

The lead's ``bot/cli.py`` calls :func:`register` on the paperbot Typer app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "eval_command"]

_METHOD_ORDER = ("random", "rocchio", "arxiv-sanity-lite", "paperbot-text", "paperbot")


def eval_command(
    dataset: str = typer.Option(..., "--dataset", help="citeulike-a or citeulike-t"),
    split_seed: int = typer.Option(0, "--split-seed", help="Seed of the cold-start split (0 = dev split)."),
    users: Optional[int] = typer.Option(None, "--users", help="Evaluate a fixed random sample of N eligible users."),
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", help="Folder holding the datasets (default: $PAPERBOT_EVAL_DATA or ../shared/eval)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    methods: Optional[str] = typer.Option(
        None, "--methods", help="Comma-separated subset of methods (default: all)."
    ),
) -> None:
    """Rank new papers for every evaluated user; print recall@10, recall@50, nDCG@10 and seconds per method."""
    from recommender.evaluation.data import DATASETS
    from recommender.evaluation.run import run_eval

    if dataset not in DATASETS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    if users is not None and users <= 0:
        raise typer.BadParameter("--users must be positive")
    chosen = tuple(m.strip() for m in methods.split(",")) if methods else None
    console = None
    if not as_json:
        from rich.console import Console

        console = Console(stderr=True)
    progress = (lambda m: console.log(f"running {m}")) if console else None
    try:
        result = run_eval(dataset, split_seed, users=users, data_dir=data_dir, methods=chosen, progress=progress)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2)
    if as_json:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{result['dataset']}, split seed {result['split_seed']}, {result['n_users']} users "
        f"(vectorizer fit {result['vectorizer_fit_seconds']:.1f} s, not included below)"
    )
    for col in ("method", "nDCG@10", "recall@10", "recall@50", "seconds"):
        table.add_column(col, justify="left" if col == "method" else "right")
    names = [m for m in _METHOD_ORDER if m in result["methods"]]
    names += [m for m in result["methods"] if m not in names]
    for name in names:
        m = result["methods"][name]
        table.add_row(name, f"{m['ndcg@10']:.4f}", f"{m['recall@10']:.4f}", f"{m['recall@50']:.4f}", f"{m['seconds']:.2f}")
    Console().print(table)
    base, ours = result["methods"].get("arxiv-sanity-lite"), result["methods"].get("paperbot")
    if base and ours:
        gain = (ours["ndcg@10"] / base["ndcg@10"] - 1) * 100 if base["ndcg@10"] else float("nan")
        speed = base["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
        Console().print(f"paperbot vs arxiv-sanity-lite: nDCG@10 {gain:+.1f} %, {speed:.0f}x faster")


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to the paperbot Typer ``app``."""
    app.command("eval")(eval_command)
