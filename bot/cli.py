"""``paperbot``: the command-line entry point (Typer).

Commands: ingest, users, channels, picks, like, dislike, search, stats, demo,
and, from their own modules, eval (``bot.cli_eval``) and run/status
(``bot.cli_run``).
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import json
import logging
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands, UsageError
from bot.console import ConsolePoster, print_reply
from bot.delivery import DeliveryTarget, deliver
from bot.digest import source_name
from bot.logs import setup_logging
from recommender.ingest import IngestResult, Skipped, expand_inputs, ingest
from recommender.picks import Pick
from bot.settings import REPO_ROOT, Settings, get_settings
from recommender.store import Channel, Delivery, Digest, Feedback, Member, Paper, Store

app = typer.Typer(
    help="paperbot: paper picks for research teams.", no_args_is_help=True, add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold tokens or database passwords
)
users_app = typer.Typer(help="People who get picks (local CLI users).", no_args_is_help=True)
channels_app = typer.Typer(help="Team channels (local CLI channels).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(channels_app, name="channels")

console = Console()
err = Console(stderr=True)

CLI_PLATFORM, CLI_WORKSPACE = "cli", "local"
SAMPLE_DIGESTS = REPO_ROOT / "samples" / "digests"
DEMO_CONFIG = REPO_ROOT / "config" / "demo.toml"

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class SourceKind(str, enum.Enum):
    """Digest formats, as stored with each paper."""

    hf_page = "hf_page"
    hf_api = "hf_api"
    arxiv_atom = "arxiv_atom"
    arxiv_rss = "arxiv_rss"


class State:
    database_url: str | None = None
    log_level: str | None = None


def settings() -> Settings:
    return get_settings()


def store() -> Store:
    """Open the configured database, or exit with one clear line when it cannot be opened."""
    url = State.database_url or settings().resolved_database_url()
    try:
        return Store(url)
    except (OperationalError, NoSuchModuleError, ArgumentError, ModuleNotFoundError) as exc:
        shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        err.print(f"[red]error[/red] cannot open the database {shown}: {reason}", highlight=False)
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error on stderr and return the Exit to raise."""
    err.print(f"[red]error[/red] {message}", highlight=False)
    return typer.Exit(code)


def existing_user(cmds: Commands, name: str) -> Caller:
    """The CLI caller for user ``name``; exits with status 1 when no such user was added."""
    with cmds.store.session() as session:
        known = session.scalar(
            select(Member.id).where(Member.platform == CLI_PLATFORM, Member.workspace == CLI_WORKSPACE, Member.user_ref == name)
        )
    if known is None:
        raise fail(f"unknown user '{name}' (add one with: paperbot users add {name} --interests \"…\"; list them with: paperbot users list)")
    return caller(name)


def commands(st: Store | None = None) -> Commands:
    return Commands(st or store(), settings())


def caller(name: str, channel: str | None = None) -> Caller:
    return Caller(CLI_PLATFORM, CLI_WORKSPACE, name, display_name=name, channel_ref=channel, channel_name=channel)


def emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def item_json(item: Pick) -> dict:
    """One paper in ``--json`` output; the same keys for picks and search."""
    return {
        "paper_id": item.paper_id, "ref": item.ref, "title": item.title, "url": item.url, "authors": list(item.authors),
        "published": item.published, "source": item.source_kind, "source_name": source_name(item), "score": round(item.score, 6),
        "reason": item.reason,
    }


@app.callback()
def main_options(
    database_url: Annotated[Optional[str], typer.Option(help="SQLAlchemy URL; overrides PAPERBOT_DATABASE_URL and the config.")] = None,
    log_level: Annotated[Optional[str], typer.Option(help="DEBUG, INFO, WARNING.")] = None,
) -> None:
    State.database_url = database_url
    State.log_level = log_level
    setup_logging(log_level or settings().log_level)


# -- ingest -----------------------------------------------------------------------------
def ingest_with_progress(st: Store, inputs: list[str], *, quiet: bool = False) -> tuple[list[IngestResult], list[Skipped]]:
    found = expand_inputs(inputs)
    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=err, transient=True, disable=quiet or len(found.sources) < 2,
    ) as progress:
        task = progress.add_task("Ingesting", total=len(found.sources))
        return ingest(st, found, progress=lambda _r: progress.advance(task)), found.skipped


def _name(source: str) -> str:
    return source if "://" in source else Path(source).name


def results_table(results: list[IngestResult]) -> Table:
    table = Table(title="Ingest summary")
    for col in ("file", "format", "entries", "new papers", "already known", "errors", "note"):
        table.add_column(col, justify="right" if col in ("entries", "new papers", "already known", "errors") else "left",
                         overflow="fold")
    for r in results:
        note = "digest seen before" if r.duplicate_digest else ""
        table.add_row(_name(r.source), r.kind or "-", str(r.entries), str(r.new), str(r.known), "1" if r.error else "0", r.error or note)
    table.add_row("[bold]total[/bold]", "", str(sum(r.entries for r in results)), str(sum(r.new for r in results)),
                  str(sum(r.known for r in results)), str(sum(1 for r in results if r.error)), "", end_section=True)
    return table


@app.command("ingest")
def ingest_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Digest files, folders of digests, or URLs.")],
    as_json: JsonOpt = False,
) -> None:
    """Ingest digests (format detected from content). Exit status 1 when any input failed."""
    st = store()
    results, skipped = ingest_with_progress(st, inputs, quiet=as_json)
    if as_json:
        for s in skipped:
            err.print(f"skipped {s.source}: {s.reason}", highlight=False)
        emit_json([
            {"source": r.source, "format": r.kind, "entries": r.entries, "new": r.new, "known": r.known,
             "updated": r.updated, "duplicate_digest": r.duplicate_digest, "error": r.error}
            for r in results
        ])
    else:
        console.print(results_table(results))
        for s in skipped:
            console.print(f"skipped {_name(s.source)}: {s.reason}", highlight=False, soft_wrap=True)
        new = sum(r.new for r in results)
        seen = sum(1 for r in results if r.duplicate_digest)
        failed = sum(1 for r in results if r.error)
        if seen:
            console.print(f"{seen} of {len(results)} digests were ingested before with the same content.")
        if new:
            console.print(f"{new} new papers stored.")
        elif failed:
            console.print("No new papers stored.")
        else:
            console.print("Nothing new: every paper was already stored.")
        for r in results:
            if r.error:
                err.print(f"[red]error[/red] {r.error}", highlight=False)
    if not results:
        raise fail("nothing to ingest")
    if any(r.error for r in results):
        raise typer.Exit(1)


# -- users and channels -------------------------------------------------------------
@users_app.command("add")
def users_add(
    name: str,
    interests: Annotated[str, typer.Option(help="Interests, separated by ';' or ','.")] = "",
) -> None:
    """Add a local user (or add interests to an existing one)."""
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        raise fail("a user name is one word, e.g. 'ada'", 2)
    cmds = commands()
    who = caller(name)
    with cmds.store.session() as session:
        cmds.member(session, who)
    for text in split_interests(interests):
        cmds.interests_add(who, text)
    print_reply(console, cmds.interests_list(who))


def split_interests(text: str) -> list[str]:
    sep = ";" if ";" in text else ","
    return [t.strip() for t in text.split(sep) if t.strip()]


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """List users with their interests and subscriptions."""
    with store().session() as session:
        rows = session.scalars(select(Member).order_by(Member.platform, Member.id)).all()
        data = [
            {"platform": m.platform, "workspace": m.workspace, "user": m.user_ref, "name": m.name, "interests": m.interests,
             "subscribed": m.subscribed, "time": m.digest_time, "timezone": m.timezone}
            for m in rows
        ]
    if as_json:
        return emit_json(data)
    table = Table("platform", "user", "interests", "DM digest")
    for d in data:
        table.add_row(d["platform"], d["name"], "; ".join(d["interests"]), f"{d['time']} {d['timezone']}" if d["subscribed"] else "off")
    console.print(table)


@channels_app.command("add")
def channels_add(
    name: str,
    topic: Annotated[str, typer.Option(help="What the channel reads about.")] = "",
    time: Annotated[Optional[str], typer.Option(help="Local time HH:MM.")] = None,
    timezone: Annotated[Optional[str], typer.Option(help="IANA timezone.")] = None,
    size: Annotated[Optional[int], typer.Option(help="Papers per digest.")] = None,
) -> None:
    """Set up a local channel's daily digest."""
    try:
        reply = commands().channel_setup(caller("cli", channel=name), time=time, timezone=timezone, size=size, topic=topic or None)
    except UsageError as exc:
        raise fail(str(exc), 2) from None
    print_reply(console, reply)


@channels_app.command("list")
def channels_list(as_json: JsonOpt = False) -> None:
    """List channels with their digest settings."""
    with store().session() as session:
        rows = session.scalars(select(Channel).order_by(Channel.platform, Channel.id)).all()
        data = [
            {"platform": c.platform, "workspace": c.workspace, "channel": c.channel_ref, "name": c.name, "topic": c.topic,
             "enabled": c.enabled, "time": c.digest_time, "timezone": c.timezone, "size": c.digest_size}
            for c in rows
        ]
    if as_json:
        return emit_json(data)
    table = Table("platform", "channel", "topic", "digest")
    for d in data:
        table.add_row(d["platform"], d["name"] or d["channel"], d["topic"], f"{d['size']} at {d['time']} {d['timezone']}" if d["enabled"] else "off")
    console.print(table)


# -- picks, feedback, search ------------------------------------------------------------
@app.command("picks")
def picks_cmd(
    name: str,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many picks (1-50).")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Top-k new papers for a user, each with the reason it was picked."""
    cmds = commands()
    reply = cmds.picks(existing_user(cmds, name), k)
    if as_json:
        return emit_json({"user": name, "picks": [item_json(i) for i in reply.papers]})
    print_reply(console, reply)


def _rate(name: str, paper: str, value: int) -> None:
    cmds = commands()
    reply = cmds.rate(existing_user(cmds, name), paper, value, origin="cli")
    print_reply(console, reply)
    if not reply.ok:
        raise typer.Exit(1)


@app.command("like")
def like_cmd(name: str, paper: Annotated[str, typer.Argument(help="arXiv id or link, or #<paper id>.")]) -> None:
    """👍 a paper for a user: their next picks move toward it."""
    _rate(name, paper, POSITIVE)


@app.command("dislike")
def dislike_cmd(name: str, paper: Annotated[str, typer.Argument(help="arXiv id or link, or #<paper id>.")]) -> None:
    """👎 a paper for a user: their next picks move away from it."""
    _rate(name, paper, NEGATIVE)


@app.command("search")
def search_cmd(
    query: str,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many results (1-100).")] = 10,
    user: Annotated[Optional[str], typer.Option(help="Re-rank for this user's profile.")] = None,
    since: Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="Published on or after.")] = None,
    until: Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="Published on or before.")] = None,
    source: Annotated[Optional[SourceKind], typer.Option(help="Only papers first stored from this format.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search stored papers by TF-IDF relevance."""
    if since and until and since > until:
        raise fail("--since is after --until", 2)
    cmds = commands()
    who = existing_user(cmds, user) if user else None
    with cmds.store.session() as session:
        member = cmds.member(session, who) if who else None
        hits = cmds.recommender.search(
            session, query, k=k, member=member, since=since.date() if since else None,
            until=until.date() if until else None, source=source.value if source else None,
        )
        items = list(hits)
    if as_json:
        return emit_json({"query": query, "results": [item_json(i) for i in items]})
    if not items:
        console.print(f"No stored paper matches “{query}”.")
        return
    table = Table("#", "score", "paper", "ref")
    for n, item in enumerate(items, 1):
        table.add_row(str(n), f"{item.score:.3f}", item.title, item.ref)
    console.print(table)


@app.command("stats")
def stats_cmd(as_json: JsonOpt = False) -> None:
    """Counts of papers, digests, users, channels and feedback."""
    st = store()
    with st.session() as session:
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
    database = st.engine.url.render_as_string(hide_password=True)
    if as_json:
        return emit_json({**data, "database": database})
    table = Table("what", "count", title=f"paperbot at {database}")
    for key, value in data.items():
        table.add_row(key, str(value))
    console.print(table)


# -- demo --------------------------------------------------------------------------------
def load_demo(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


@app.command("demo")
def demo_cmd(
    data_dir: Annotated[Path, typer.Option(help="Fresh data directory for the demo (emptied first).")] = Path("data/demo"),
    digests: Annotated[Path, typer.Option(help="Digests to ingest.")] = SAMPLE_DIGESTS,
    config: Annotated[Path, typer.Option(help="Demo users and channel.")] = DEMO_CONFIG,
) -> None:
    """From an empty data directory: ingest the bundled digests, create the demo team, print today's digests."""
    if State.log_level is None:  # the demo's output is the digests; keep log lines for problems
        logging.getLogger().setLevel(logging.WARNING)
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    st = Store(f"sqlite:///{data_dir.resolve() / 'paperbot.db'}")
    demo = load_demo(config)
    console.rule("[bold]1. Ingest the sample digests[/bold]")
    results, _ = ingest_with_progress(st, [str(digests)])
    console.print(results_table(results))
    cmds = commands(st)
    console.rule("[bold]2. The team[/bold]")
    for user in demo.get("users", []):
        who = caller(user["name"])
        for text in user.get("interests", []):
            cmds.interests_add(who, text)
        cmds.subscribe(who)
        console.print(f"@{user['name']}: " + "; ".join(user.get("interests", [])))
    for ch in demo.get("channels", []):
        cmds.channel_setup(caller("demo", channel=ch["name"]), topic=ch.get("topic"), size=ch.get("size"))
        console.print(f"#{ch['name']}: {ch.get('topic', '')}")
    console.rule("[bold]3. Today's digests[/bold]")
    poster = ConsolePoster(console)
    with st.session() as session:
        targets = [DeliveryTarget.of(c) for c in session.scalars(select(Channel).order_by(Channel.id))]
        targets += [DeliveryTarget.of(m) for m in session.scalars(select(Member).where(Member.subscribed.is_(True)).order_by(Member.id))]
    for target in targets:
        deliver(st, cmds.recommender, settings(), poster, target)
    first = demo.get("users", [{}])[0].get("name")
    if first:
        console.rule(f"[bold]4. Feedback retunes at once: @{first} likes a paper[/bold]")
        with st.session() as session:
            liked = session.scalars(
                select(Paper).where(Paper.title.ilike("%knowledge graph%")).order_by(Paper.id).limit(1)
            ).first()
        if liked is not None:
            cmds.feedback(caller(first), liked.id, POSITIVE, origin="cli")
            console.print(f"👍 “{liked.title}”")
            print_reply(console, cmds.picks(caller(first), 3))
    console.print(f"\nDemo data is in {data_dir}/ (SQLite). Try: paperbot --database-url sqlite:///{data_dir}/paperbot.db search \"zero-shot\"")


def _register_optional(module: str) -> None:
    """Add commands that live in their own modules (eval, run, status)."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return
    mod.register(app)


for _module in ("bot.cli_eval", "bot.cli_run"):
    _register_optional(_module)


def main() -> None:  # console script
    app()


if __name__ == "__main__":
    main()
