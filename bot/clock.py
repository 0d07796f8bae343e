"""Times of day and timezones: the one parser every schedule uses.

A schedule is a local time of day (24-hour ``HH:MM``) in an IANA timezone
(``Europe/Berlin``).  The slash commands, ``paperbot.toml`` (digest and
``[[sources]]``) and the scheduler all validate through this module, so they
accept exactly the same inputs and give the same error messages.

``TimeOfDay`` and ``TimezoneName`` are pydantic-annotated ``str`` types for
settings models: a bad value fails at load with the message below.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator

__all__ = [
    "TimeOfDay",
    "TimezoneName",
    "looks_like_time",
    "WEEKDAYS",
    "parse_time_of_day",
    "parse_timezone",
    "parse_weekday",
    "timezone_choices",
    "to_time",
]

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
#: Anything a person meant as a clock time (``25:00``, ``9:5``, ``99:99``), valid or not.
_TIME_SHAPED = re.compile(r"^\d{1,2}[:h.]\d{1,2}$")


def parse_time_of_day(value: str) -> str:
    """Normalise a 24-hour local time: ``"8:05"`` -> ``"08:05"``.

    Raises
    ------
    ValueError
        Not ``H:MM`` / ``HH:MM``, or hours outside 0-23 or minutes outside
        0-59; the message says which and gives an example.
    """
    text = str(value).strip()
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"`{text}` is not a time; use 24-hour HH:MM, e.g. 08:30")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if hours > 23:
        raise ValueError(f"`{text}` is not a time: hours go from 00 to 23")
    if minutes > 59:
        raise ValueError(f"`{text}` is not a time: minutes go from 00 to 59")
    return f"{hours:02d}:{minutes:02d}"


def looks_like_time(value: str) -> bool:
    """True when ``value`` is shaped like a clock time, valid or not (``25:00``, ``99:99``)."""
    return bool(_TIME_SHAPED.match(str(value).strip()))


def to_time(value: str) -> dt.time:
    """``"09:30"`` -> ``datetime.time(9, 30)``; raises ``ValueError`` as :func:`parse_time_of_day`."""
    hours, minutes = parse_time_of_day(value).split(":")
    return dt.time(int(hours), int(minutes))


#: Weekday names, Monday first: ``WEEKDAYS[0]`` is Monday, as ``datetime.date.weekday()`` counts.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekday(value: str) -> int:
    """``"Thursday"``, ``"thu"`` -> ``3`` (0 is Monday, as ``datetime.date.weekday()`` counts).

    Raises
    ------
    ValueError
        Not a weekday's English name or its first three letters (any case).
    """
    text = str(value).strip().lower()
    for number, name in enumerate(WEEKDAYS):
        if text == name or text == name[:3]:
            return number
    raise ValueError(f"`{str(value).strip()}` is not a weekday; use monday … sunday (or mon … sun)")


@lru_cache(maxsize=1024)
def parse_timezone(value: str) -> str:
    """Validate an IANA timezone name (``Europe/Berlin``, ``UTC``) and return it.

    Raises
    ------
    ValueError
        Not a timezone known to the system's tz database (or ``tzdata``).
    """
    text = str(value).strip()
    if looks_like_time(text):
        raise ValueError(f"`{text}` is a time, not a timezone; use an IANA name such as Europe/Berlin")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"`{text}` is not a timezone; use an IANA name such as Europe/Berlin") from None
    return text


def timezone_choices(prefix: str, limit: int = 25) -> list[str]:
    """IANA timezone names containing ``prefix`` (case-insensitive), sorted, at most ``limit``."""
    needle = prefix.lower()
    return sorted(z for z in available_timezones() if needle in z.lower())[:limit]


#: A local time of day, normalised to ``HH:MM`` at validation.
TimeOfDay = Annotated[str, AfterValidator(parse_time_of_day)]
#: An IANA timezone name, checked against the tz database at validation.
TimezoneName = Annotated[str, AfterValidator(parse_timezone)]
