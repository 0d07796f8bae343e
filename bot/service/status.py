"""``paperbot status``: sources (last run, new papers), targets (next digest, last posted), job-store health."""

from __future__ import annotations

import datetime as dt

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from bot.delivery import MAX_ATTEMPTS
from bot.pauses import paused_why
from bot.service.digest_jobs import RETRY_BACKOFF_SECONDS, digest_targets
from bot.service.due import due_digests
from bot.service.heartbeat import owner_gone
from bot.service.scheduler import JOBSTORE_TABLE, SYNC_JOB_ID, fresh_heartbeat
from bot.service.sync_lease import read_sync
from bot.service.triggers import MISFIRE_GRACE_SECONDS, daily_trigger, digest_job_id, next_digest_time
from bot.settings import InboxSource, Settings
from recommender.enrich import count_unlinked
from recommender.prepared import EMBED_WHEN_RANKING
from recommender.store import Channel, Delivery, Member, Paper, Store
from recommender.store.models import SourceRun, utcnow
from recommender.text.embeddings import default_embedder, unavailable_reason
from recommender.text.vectors import count_missing

__all__ = ["collect_status", "job_store_rows", "owed_digests"]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def job_store_rows(store: Store) -> dict[str, dt.datetime | None] | None:
    """``{job id: next run time (aware, UTC) or None if paused}``, or None when the job store has no table yet.

    Read through APScheduler's job-store API (``SQLAlchemyJobStore.get_all_jobs``),
    never by creating the table. Like the scheduler at its start, the job store
    drops a row whose job function no longer exists (a job stored by an older
    version); the next ``paperbot run`` adds it again under its current name.
    """
    if not inspect(store.engine).has_table(JOBSTORE_TABLE):
        return None
    jobs = SQLAlchemyJobStore(engine=store.engine, tablename=JOBSTORE_TABLE).get_all_jobs()
    return {job.id: job.next_run_time for job in jobs}


def collect_status(store: Store, settings: Settings, *, now: dt.datetime | None = None) -> dict:
    """Sources (last run, new papers), targets (next digest, last posted), job-store health,
    and how many stored papers still lack a link (``papers.without_link``; ``paperbot enrich``).

    Times are ISO 8601, UTC. ``job_store.scheduler_running`` is judged from the
    ``sync`` job's next run time (the heartbeat): at most two sync intervals (``[service] sync_seconds``)
    and 5 s late (:func:`bot.service.scheduler.fresh_heartbeat`).
    ``job_store.owner`` is the scheduler that owns the ``sync`` job (``host``, ``pid``,
    ``renewed``: its lease, :func:`bot.service.heartbeat.keep_heartbeat`, and ``gone``), None before any.
    A clean shutdown pauses the ``sync`` job, clearing the heartbeat
    (``scheduler_state`` ``"stopped"``); a process that died leaves it to go
    ``"stale"``, at once when the owner was a process of this host that no longer exists (``gone``).
    A target's ``next_digest`` is when its next slot's digest will be
    posted: a slot whose day was already delivered (e.g. by ``run --once``) is
    skipped (:func:`bot.service.triggers.next_digest_time`). A target's ``owed`` lists its digests due and
    not posted (:func:`owed_digests`: from the database, not the job store, which moves a job's next run time
    on before the job runs); ``owed`` at the top level lists them all, oldest slot first, each with its ``target``.
    A member's ``last_told`` is when they were
    told that their last digest could not be sent by DM (:mod:`bot.commands.dm_notice`), else None.
    A target that is on but paused (:mod:`bot.pauses`) has ``paused``, why in words (``"left the server"``), and no
    ``next_digest``; else ``paused`` is None.

    ``job_store.overdue`` lists the jobs whose next run time has passed: any at all
    while the scheduler is not running (stale, stopped), and those more than the
    heartbeat's tolerance late while it runs; each says whether the next start still
    runs it (``runs_at_start``: within :data:`MISFIRE_GRACE_SECONDS`). A source's
    ``last_failure`` is its latest ``partial`` or ``error`` run while no run since
    was ``ok``, so a failure is not hidden by the ``empty`` runs after it.
    """
    now = now or utcnow()
    jobs = job_store_rows(store)
    out: dict = {"now": now.isoformat(), "sources": [], "targets": []}
    specs = settings.ingest_sources()
    with store.session() as session:
        for spec in specs:
            last = session.scalars(
                select(SourceRun).where(SourceRun.source == spec.name).order_by(SourceRun.started_at.desc()).limit(1)
            ).first()
            total = session.scalar(select(func.sum(SourceRun.new_papers)).where(SourceRun.source == spec.name)) or 0
            out["sources"].append({
                "name": spec.name, "kind": spec.kind, "schedule": spec.schedule,
                "last_run": _aware(last.started_at).isoformat() if last else None,
                "status": last.status if last else None, "new_papers": last.new_papers if last else None,
                "new_papers_total": int(total), "error": last.error if last else None,
                "last_failure": _last_failure(session, spec.name),
                **({"failed_files": _failed_files(spec)} if isinstance(spec, InboxSource) else {}),
                "next_run": _iso((jobs or {}).get(f"ingest:{spec.name}")),
            })
        rows = [*session.scalars(select(Channel).order_by(Channel.id)), *session.scalars(select(Member).order_by(Member.id))]
        owed = owed_digests(session, now, settings.delivery.recovery_seconds)
        for row in rows:
            kind = "channel" if isinstance(row, Channel) else "member"
            on = row.enabled if kind == "channel" else row.subscribed
            if not on:
                continue
            last = session.scalars(
                select(Delivery).where(Delivery.target_kind == kind, Delivery.target_id == row.id)
                .order_by(Delivery.day.desc()).limit(1)
            ).first()
            last_posted = session.scalar(
                select(func.max(Delivery.posted_at)).where(Delivery.target_kind == kind, Delivery.target_id == row.id,
                                                            Delivery.status == "posted")
            )
            job_id = digest_job_id(kind, row.id)
            done = {
                day for day, status, attempts in session.execute(
                    select(Delivery.day, Delivery.status, Delivery.attempts)
                    .where(Delivery.target_kind == kind, Delivery.target_id == row.id,
                           Delivery.day >= (now - dt.timedelta(days=2)).date())
                )
                if status != "failed" or attempts >= MAX_ATTEMPTS  # a failed one with attempts left is retried
            }
            try:
                due = None if row.paused else next_digest_time(  # after an owed digest: its next slot
                    row.digest_time, row.timezone, now=now, done_days=done | set(owed.get((kind, row.id), {})),
                    scheduled=(jobs or {}).get(job_id))
            except Exception:
                due = None
            out["targets"].append({
                "kind": kind, "id": row.id, "platform": row.platform,
                "name": (f"#{row.name or row.channel_ref}" if kind == "channel" else row.name),
                "schedule": f"{row.digest_time} {row.timezone}", "scheduled": bool(jobs and job_id in jobs),
                "next_digest": _iso(due),
                "last_posted": _iso(_aware(last_posted)), "last_day": str(last.day) if last else None,
                "last_status": last.status if last else None, "last_error": last.error if last else None,
                "last_told": _iso(_aware(last.told_at)) if last else None,
                "owed": sorted(owed.get((kind, row.id), {}).values(), key=lambda o: o["due"]),
                "paused": paused_why(row.paused) if row.paused else None,
            })
    out["owed"] = sorted(({**o, "target": t["name"]} for t in out["targets"] for o in t["owed"]),
                         key=lambda o: (o["due"], o["kind"], o["id"]))
    health: dict = {"table": JOBSTORE_TABLE, "exists": jobs is not None}
    if jobs is not None:
        heartbeat = jobs.get(SYNC_JOB_ID)
        owner = _owner(store) if SYNC_JOB_ID in jobs else None
        if SYNC_JOB_ID not in jobs:
            state = "never started"
        elif heartbeat is None:
            state = "stopped"  # paused by a clean shutdown
        elif fresh_heartbeat(heartbeat, now, settings.service.sync_seconds) and not (owner and owner["gone"]):
            state = "running"
        else:
            state = "stale"  # the process died (its pid is gone on this host), or its scheduler is stuck
        labels = {digest_job_id(t["kind"], t["id"]): f"{t['name']}'s digest" for t in out["targets"]}
        overdue = _overdue(jobs, labels, now, 2 * settings.service.sync_seconds + 5 if state == "running" else 0)
        health.update({
            "jobs": len(jobs), "heartbeat": _iso(heartbeat), "owner": owner,
            "scheduler_running": state == "running", "scheduler_state": state,
            "overdue_jobs": [job["job"] for job in overdue], "overdue": overdue,
        })
    out["job_store"] = health
    with store.session() as session:
        total = session.scalar(select(func.count(Paper.id))) or 0
    out["papers"] = {"stored": int(total), "without_link": count_unlinked(store)}
    reason = None if settings.recommender.semantic else "semantic ranking off in the settings ([recommender] semantic)"
    reason = reason or unavailable_reason()
    out["ranking"] = {"semantic": reason is None, "reason": reason, "lacking_vectors": None}
    if reason is None:
        embedder = default_embedder()
        if embedder is not None:
            with store.session() as session:
                lacking = count_missing(session, embedder)
            out["ranking"].update(lacking_vectors=lacking, semantic=lacking <= EMBED_WHEN_RANKING)
            if lacking > EMBED_WHEN_RANKING:  # what the ranking does then (recommender.prepared)
                out["ranking"]["reason"] = (f"TF-IDF alone for now: {lacking:,} papers lack a sentence vector "
                                            "(`paperbot embed` computes them; `paperbot run` at its next source run)")
    return out


def _owner(store: Store) -> dict | None:
    """The ``sync`` job's owner: ``{"host", "pid", "renewed", "gone"}``, None when unknown.

    ``renewed`` is its lease (ISO 8601 UTC); ``gone`` is True when the owner is a process of this host
    that no longer exists (:func:`bot.service.heartbeat.owner_gone`; a process on another host cannot be asked).
    """
    row = read_sync(store.engine)
    owner = row.owner if row is not None else {}
    if not owner:
        return None
    return {"host": owner.get("host"), "pid": owner.get("pid"), "renewed": _iso(row.renewed if row else None),
            "gone": owner_gone(owner)}


def owed_digests(session: Session, now: dt.datetime,
                 recovery_seconds: float) -> dict[tuple[str, int], dict[dt.date, dict]]:
    """The digests due and not posted at ``now`` (aware), ``{(kind, target id): {local day: owed}}``, decided
    by the database alone.

    Not started: due by :func:`bot.service.due.due_digests` (slot passed at most
    :data:`MISFIRE_GRACE_SECONDS` ago, after the target was created, no ``deliveries`` row), whatever the
    job store says. Started and not finished: a ``deliveries`` row ``claimed`` or ``failed`` with attempts
    left, claimed within :data:`MISFIRE_GRACE_SECONDS`, as :func:`bot.service.digest_jobs.retry_candidates`
    retries them. Each value is ``{"kind", "id", "day", "due", "late_seconds", "state", "attempts",
    "claimed", "retry_at"}``: ``state`` ``"not started"``, ``"claimed"`` (being posted; ``retry_at`` is set
    when its claimant stopped beating, ``recovery_seconds`` after its last heartbeat) or ``"failed"``
    (``retry_at``: after the retry backoff). Times ISO 8601 UTC, ``late_seconds`` since ``due``, the slot.
    """
    out: dict[tuple[str, int], dict[dt.date, dict]] = {}
    for d in due_digests(session, None, now):
        out.setdefault((d.kind, d.target_id), {})[d.day] = _owed(d.kind, d.target_id, d.day, d.slot, now, "not started")
    targets = {("channel" if isinstance(r, Channel) else "member", r.id): r
               for r in digest_targets(session, None)}
    started = session.execute(
        select(Delivery).where(Delivery.target_kind.in_(("channel", "member")), Delivery.status.in_(("claimed", "failed")),
                               Delivery.attempts < MAX_ATTEMPTS,
                               Delivery.claimed_at >= now - dt.timedelta(seconds=MISFIRE_GRACE_SECONDS))
        .order_by(Delivery.day)).scalars()
    for row in started:
        target = targets.get((row.target_kind, row.target_id))
        claimed = _aware(row.claimed_at)
        if target is None or claimed is None:
            continue  # the target was disabled or unsubscribed since: not posted
        if row.status == "failed":
            retry: dt.datetime | None = claimed + dt.timedelta(seconds=RETRY_BACKOFF_SECONDS * 2 ** max(0, row.attempts - 1))
        else:
            beat = max(claimed, _aware(row.heartbeat_at) or claimed)
            retry = beat + dt.timedelta(seconds=recovery_seconds)
            retry = retry if retry <= now else None  # its claimant still beats: being posted
        try:
            slot = _slot_of(target.digest_time, target.timezone, row.day)
        except ValueError:
            slot = claimed
        out.setdefault((row.target_kind, row.target_id), {})[row.day] = {
            **_owed(row.target_kind, row.target_id, row.day, slot, now, row.status),
            "attempts": row.attempts, "claimed": _iso(claimed), "retry_at": _iso(retry)}
    return out


def _owed(kind: str, target_id: int, day: dt.date, slot: dt.datetime, now: dt.datetime, state: str) -> dict:
    return {"kind": kind, "id": target_id, "day": str(day), "due": _iso(slot),
            "late_seconds": max(0, round((now - slot).total_seconds())), "state": state,
            "attempts": 0, "claimed": None, "retry_at": None}


def _slot_of(time: str, timezone: str, day: dt.date) -> dt.datetime:
    """When the digest of the local ``day`` was due (aware): its ``time`` slot that day, as its job fires it.

    Raises
    ------
    ValueError
        A bad time of day or an unknown timezone.
    """
    trigger = daily_trigger(time, timezone)
    fire = trigger.get_next_fire_time(None, dt.datetime.combine(day, dt.time(), tzinfo=trigger.timezone))
    if fire is None:  # pragma: no cover (a daily trigger always fires again)
        raise ValueError(f"no {time} slot in {timezone} on {day}")
    return fire


def _overdue(jobs: dict[str, dt.datetime | None], labels: dict[str, str], now: dt.datetime,
             tolerance: float) -> list[dict]:
    """The jobs whose next run time passed more than ``tolerance`` seconds ago, most overdue first.

    With the scheduler not running (``tolerance`` 0), every job whose time has come is overdue now.
    ``runs_at_start`` says whether the next start still runs it: a job later than
    :data:`MISFIRE_GRACE_SECONDS` is skipped as misfired (its next regular time comes instead).
    The ``sync`` job is the heartbeat, judged as the scheduler's state, not listed.
    """
    out = []
    for job_id, due in jobs.items():
        late = (now - due).total_seconds() if due is not None else 0.0
        if job_id == SYNC_JOB_ID or due is None or late <= tolerance:
            continue
        name = labels.get(job_id) or (f"{job_id.partition(':')[2]} source" if job_id.startswith("ingest:") else job_id)
        out.append({"job": job_id, "name": name, "due": _iso(due), "late_seconds": round(late),
                    "runs_at_start": late <= MISFIRE_GRACE_SECONDS})
    return sorted(out, key=lambda job: (-job["late_seconds"], job["job"]))


def _last_failure(session: Session, source: str) -> dict | None:
    """The source's latest failed run (``partial`` or ``error``) if no run since was ``ok``, else None.

    ``{"at", "status", "error", "failed_runs"}``: ``failed_runs`` counts the failed runs since
    the last ``ok`` one. An ``empty`` run (an inbox with nothing new, a day without an
    announcement) does not clear a failure: only a run that ingested its inputs without an
    error shows that the source works again.
    """
    since = session.scalar(select(func.max(SourceRun.started_at))
                           .where(SourceRun.source == source, SourceRun.status == "ok"))
    failed = select(SourceRun).where(SourceRun.source == source, SourceRun.status.in_(("partial", "error")))
    if since is not None:
        failed = failed.where(SourceRun.started_at > since)
    last = session.scalars(failed.order_by(SourceRun.started_at.desc(), SourceRun.id.desc()).limit(1)).first()
    if last is None:
        return None
    count = session.scalar(select(func.count()).select_from(failed.subquery())) or 0
    return {"at": _iso(_aware(last.started_at)), "status": last.status, "error": last.error, "failed_runs": int(count)}


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _failed_files(spec: InboxSource) -> int:
    """Digest files waiting in the inbox's ``failed/`` folder (their ``.error.txt`` notes not counted).

    A failed file is never retried, and a later ``ok`` run clears ``last_failure``: this count stays until
    someone fixes or removes the file.
    """
    from pathlib import Path

    folder = Path(spec.path).expanduser() / "failed"
    try:
        return sum(1 for f in folder.iterdir() if f.is_file() and not f.name.endswith(".error.txt"))
    except OSError:  # no failed/ folder yet
        return 0
