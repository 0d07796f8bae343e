"""When jobs run: daily local-time triggers (DST-aware), the day a digest belongs to, job ids.

Times of day and timezones are validated by :mod:`bot.clock`, the one parser
every schedule uses; a bad value raises ``ValueError`` with its message.
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import to_time, zone
from bot.settings import SourceSettings

__all__ = [
    "MISFIRE_GRACE_SECONDS", "daily_trigger", "weekly_trigger", "last_weekly_slot", "same_schedule", "source_trigger", "slot_day", "last_slot", "next_digest_time", "digest_job_id",
    "ingest_job_id",
]

#: A run missed by up to this many seconds (bot down, busy) still runs, once; failed digests
#: are retried within the same window.
MISFIRE_GRACE_SECONDS = 12 * 3600


def daily_trigger(time: str, timezone: str) -> CronTrigger:
    """Every day at local ``time`` (``HH:MM``) in ``timezone`` (IANA name), DST-aware.

    On a spring-forward day a time inside the gap fires once, at the first valid
    instant after it; on a fall-back day a repeated time fires once.

    Raises
    ------
    ValueError
        A bad time of day or an unknown timezone (:mod:`bot.clock`).
    """
    at = to_time(time)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=zone(timezone))


def weekly_trigger(weekday: int, time: str, timezone: str) -> CronTrigger:
    """Every week on ``weekday`` (0 = Monday) at local ``time`` in ``timezone``, DST-aware as :func:`daily_trigger`.

    Raises
    ------
    ValueError
        A bad weekday, time of day or timezone.
    """
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
    at = to_time(time)
    return CronTrigger(day_of_week=weekday, hour=at.hour, minute=at.minute, timezone=zone(timezone))


def last_weekly_slot(weekday: int, time: str, timezone: str, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The local day and instant (aware) of the most recent weekly slot at or before ``now``.

    Computed by :func:`weekly_trigger`, so a slot in a spring-forward gap is the
    instant the trigger fires at (as :func:`last_slot` does for daily slots).

    Raises
    ------
    ValueError
        A bad weekday, time of day or timezone.
    """
    trigger = weekly_trigger(weekday, time, timezone)
    today = now.astimezone(trigger.timezone).date()
    for back in range(0, 9):
        day = today - dt.timedelta(days=back)
        if day.weekday() != weekday:
            continue
        fire = trigger.get_next_fire_time(None, dt.datetime.combine(day, dt.time(), tzinfo=trigger.timezone))
        if fire is not None and fire <= now and fire.astimezone(trigger.timezone).date() == day:
            return day, fire
    raise ValueError(f"no weekly {time} slot in {timezone} before {now.isoformat()}")  # pragma: no cover


def source_trigger(source: SourceSettings) -> CronTrigger | IntervalTrigger:
    """The trigger of an ingestion source (any ``[[sources]]`` model): every ``every_minutes``, else daily."""
    if source.every_minutes:
        return IntervalTrigger(minutes=source.every_minutes, timezone=dt.UTC)
    return daily_trigger(source.time, source.timezone)


def same_schedule(a, b) -> bool:
    """Whether two triggers fire at the same times from now on.

    An :class:`IntervalTrigger` is compared by its interval and timezone: its ``repr`` holds its start
    date, the moment it was made, so every start would count as a new schedule and move the next run.
    Other triggers by ``repr`` (a :class:`CronTrigger`'s names its fields and timezone).
    """
    if isinstance(a, IntervalTrigger) and isinstance(b, IntervalTrigger):
        return (a.interval, str(a.timezone)) == (b.interval, str(b.timezone))
    return repr(a) == repr(b)


def slot_day(time: str, timezone: str, now: dt.datetime) -> dt.date:
    """The local day whose ``time`` slot most recently passed at ``now`` (aware).

    A digest that runs late (missed while the bot was down, coalesced) is still
    the digest of the day it was due, so the next day's digest is not taken.
    """
    tz = zone(timezone)
    local = now.astimezone(tz)
    slot = dt.datetime.combine(local.date(), to_time(time), tzinfo=tz)
    return local.date() if local >= slot else local.date() - dt.timedelta(days=1)


def last_slot(time: str, timezone: str, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The local day and the instant (aware) of the most recent ``time`` slot at or before ``now``.

    Computed by the same trigger that fires the digest job (:func:`daily_trigger`),
    so a spring-forward gap or a repeated fall-back hour gives the instant the job
    fires at.

    Raises
    ------
    ValueError
        A bad time of day or an unknown timezone.
    """
    trigger = daily_trigger(time, timezone)
    today = now.astimezone(trigger.timezone).date()
    for back in (0, 1, 2):
        day = today - dt.timedelta(days=back)
        fire = trigger.get_next_fire_time(None, dt.datetime.combine(day, dt.time(), tzinfo=trigger.timezone))
        if fire is not None and fire <= now and fire.astimezone(trigger.timezone).date() == day:
            return day, fire
    raise ValueError(f"no {time} slot in {timezone} in the two days before {now.isoformat()}")  # pragma: no cover


def next_digest_time(time: str, timezone: str, *, now: dt.datetime, scheduled: dt.datetime | None = None,
                     done_days: set[dt.date] | frozenset = frozenset()) -> dt.datetime:
    """When a target's digest will next actually be posted.

    Starts from ``scheduled`` (its job's next run time in the job store) or else the
    trigger's next fire time after ``now``, and moves on a day at a time while that
    run's local day is in ``done_days``: the digest of that day was already posted
    (by ``paperbot run --once``, say), so the job would find it claimed and post nothing.

    Parameters
    ----------
    time, timezone : str
        The target's ``digest_time`` (``HH:MM``) and IANA timezone.
    now : datetime
        Aware current time.
    scheduled : datetime, optional
        The job's next run time, when a scheduler has a job for the target.
    done_days : set of date
        Local days whose delivery is finished or in progress (not ``failed`` with attempts left).

    Raises
    ------
    ValueError
        A bad time of day or an unknown timezone.
    """
    trigger = daily_trigger(time, timezone)
    when = scheduled or trigger.get_next_fire_time(None, now)
    for _ in range(len(done_days) + 1):
        if slot_day(time, timezone, when) not in done_days:
            break
        when = trigger.get_next_fire_time(when, max(when, now) + dt.timedelta(seconds=1))
    return when


def digest_job_id(kind: str, target_id: int) -> str:
    """``digest:channel:<id>`` or ``digest:member:<id>``."""
    return f"digest:{kind}:{target_id}"


def ingest_job_id(name: str) -> str:
    """``ingest:<source name>``."""
    return f"ingest:{name}"
