"""``paperbot eval``: offline evaluation of the recommender against baselines on the CiteULike datasets.

Prints nDCG@10, recall@10, recall@50 and seconds per method, as a table or as
one JSON object (the figures in ``benchmarks/results`` come from ``--json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.state import console, err, fail

METHOD_ORDER = ("random", "rocchio", "arxiv-sanity-lite", "paperbot-text", "paperbot")


def eval_cmd(
    dataset: Annotated[str, typer.Option(metavar="NAME", help="citeulike-a or citeulike-t")],
    split_seed: Annotated[int, typer.Option(metavar="SEED", help="Seed of the cold-start split (0 = dev split).")] = 0,
    users: Annotated[int | None, typer.Option(
        metavar="N", help="Evaluate a fixed random sample of N eligible users.")] = None,
    data_dir: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Folder holding the datasets (default: $PAPERBOT_EVAL_DATA or ../shared/eval).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    methods: Annotated[str | None, typer.Option(
        metavar="A,B…", help="Comma-separated subset of methods (default: all).")] = None,
    team_size: Annotated[str, typer.Option(
        metavar="N|all", help="Community = the history papers of each user's team of N (default: all users).")] = "all",
    teams: Annotated[str, typer.Option(
        metavar="KIND", help="How teams are formed: similar (research groups) or random.")] = "similar",
    ranker_param: Annotated[list[str] | None, typer.Option(
        metavar="NAME=VALUE", help="A Ranker parameter other than the default (repeatable), "
        "e.g. community_item_neighbors=50.")] = None,
) -> None:
    """Evaluate the ranking offline on the CiteULike datasets.

    Rank new papers for every evaluated user; print recall@10, recall@50, nDCG@10 and seconds per method.
    """
    from recommender.evaluation.data import DATASETS
    from recommender.evaluation.run import run_eval

    if dataset not in DATASETS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}",
                                 param_hint="--dataset")
    if users is not None and users <= 0:
        raise typer.BadParameter("must be positive", param_hint="--users")
    size: int | str = team_size
    if team_size != "all":
        if not team_size.isdigit() or int(team_size) < 1:
            raise typer.BadParameter("a positive number or 'all'", param_hint="--team-size")
        size = int(team_size)
    if teams not in ("similar", "random"):
        raise typer.BadParameter("similar or random", param_hint="--teams")
    chosen = tuple(m.strip() for m in methods.split(",")) if methods else None
    params = ranker_params(ranker_param or [])
    progress = None if as_json else (lambda m: err.log(f"running {m}"))
    try:
        result = run_eval(dataset, split_seed, users=users, data_dir=data_dir, methods=chosen, progress=progress,
                          team_size=size, teams=teams, ranker_params=params)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps(result))
        return
    print_result(result)


def ranker_params(pairs: list[str]) -> dict[str, float | int | None]:
    """``NAME=VALUE`` pairs as :class:`~recommender.ranking.Ranker` keyword arguments (numbers, or ``none``).

    Raises
    ------
    typer.BadParameter
        On a malformed pair, a name the ranker does not take, or a value that is not a number.
    """
    import inspect

    from recommender.ranking import Ranker

    known = set(inspect.signature(Ranker).parameters) - {"vectorizer", "embedder"}
    out: dict[str, float | int | None] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in known:
            raise typer.BadParameter(f"{pair!r}: NAME=VALUE with NAME one of {', '.join(sorted(known))}",
                                     param_hint="--ranker-param")
        try:
            out[name] = None if value.lower() == "none" else int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            raise typer.BadParameter(f"{pair!r}: the value is not a number", param_hint="--ranker-param") from None
    return out


def print_result(result: dict) -> None:
    """The table of one :func:`recommender.evaluation.run.run_eval` result, methods in :data:`METHOD_ORDER`."""
    from rich.table import Table

    size = result.get("team_size", "all")
    community = "all users" if size == "all" else f"teams of {size} ({result.get('teams')})"
    table = Table(
        title=f"{result['dataset']}, split seed {result['split_seed']}, {result['n_users']} users, "
        f"community: {community} (vectorizer fit {result['vectorizer_fit_seconds']:.1f} s, "
        f"embeddings {result.get('embedding_seconds', 0.0):.1f} s, not included below)"
    )
    for col in ("method", "nDCG@10", "recall@10", "recall@50", "seconds"):
        table.add_column(col, justify="left" if col == "method" else "right")
    names = [m for m in METHOD_ORDER if m in result["methods"]]
    names += [m for m in result["methods"] if m not in names]
    for name in names:
        m = result["methods"][name]
        table.add_row(name, f"{m['ndcg@10']:.4f}", f"{m['recall@10']:.4f}", f"{m['recall@50']:.4f}", f"{m['seconds']:.2f}")
    console.print(table)
    gain = result.get("community_gain")
    if gain and gain["ci"]:
        console.print(f"paperbot - paperbot-text (the community's gain): nDCG@10 {gain['mean']:+.5f}, "
                      f"95% interval {gain['ci'][0]:+.5f} to {gain['ci'][1]:+.5f}")
    base, ours = result["methods"].get("arxiv-sanity-lite"), result["methods"].get("paperbot")
    if base and ours:
        gain = (ours["ndcg@10"] / base["ndcg@10"] - 1) * 100 if base["ndcg@10"] else float("nan")
        speed = base["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
        console.print(f"paperbot vs arxiv-sanity-lite: nDCG@10 {gain:+.1f} %, {speed:.0f}x faster")
