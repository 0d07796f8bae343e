"""Times of day and timezones: the one parser every schedule uses.

A schedule is a local time of day (24-hour ``HH:MM``) in an IANA timezone
of Area/Location form (``Europe/Berlin``) or ``UTC``: a name the tz database
also knows that is an abbreviation, a fixed offset or an old alias (``EST``,
``CET``, ``EST5EDT``, ``GMT``, ``Etc/GMT+5``, ``Japan``) is refused with the
name to use, since ``EST`` is UTC-5 all year and puts a New York team's digest
an hour off all summer.  The slash commands, ``paperbot.toml`` (digest and
``[[sources]]``) and the scheduler all validate through this module, so they
accept exactly the same inputs and give the same error messages.

``TimeOfDay`` and ``TimezoneName`` are pydantic-annotated ``str`` types for
settings models: a bad value fails at load with the message below.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator

__all__ = [
    "TimeOfDay",
    "TimezoneName",
    "looks_like_time",
    "looks_like_timezone",
    "WEEKDAYS",
    "parse_time_of_day",
    "parse_timezone",
    "parse_weekday",
    "timezone_choices",
    "to_time",
    "zone",
]

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
#: Anything a person meant as a clock time (``25:00``, ``9:5``, ``99:99``), valid or not.
_TIME_SHAPED = re.compile(r"^\d{1,2}[:h.]\d{1,2}$")
#: A 12-hour clock time (``7pm``, ``7:30 PM``, ``11a.m.``): refused, with its 24-hour spelling.
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?:[:h.](\d{2}))?\s*([ap])\.?m\.?$", re.IGNORECASE)


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
    twelve = _TWELVE_HOUR.match(text)
    if twelve and 1 <= int(twelve.group(1)) <= 12 and int(twelve.group(2) or 0) <= 59:
        hours = int(twelve.group(1)) % 12 + (12 if twelve.group(3).lower() == "p" else 0)
        raise ValueError(f"`{text}` is not a time; use 24-hour HH:MM: {hours:02d}:{twelve.group(2) or '00'}")
    if not m:
        raise ValueError(f"`{text}` is not a time; use 24-hour HH:MM, e.g. 08:30")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if hours > 23:
        raise ValueError(f"`{text}` is not a time: hours go from 00 to 23")
    if minutes > 59:
        raise ValueError(f"`{text}` is not a time: minutes go from 00 to 59")
    return f"{hours:02d}:{minutes:02d}"


def looks_like_time(value: str) -> bool:
    """True when ``value`` is shaped like a clock time, valid or not (``25:00``, ``99:99``, ``7pm``)."""
    return bool(_TIME_SHAPED.match(str(value).strip()) or _TWELVE_HOUR.match(str(value).strip()))


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


#: Names that are no place, and the Area/Location name to use instead (looked up in upper case). The tz
#: database's own links would mislead for these (EST is a link to America/Panama, CET to Europe/Brussels);
#: abbreviations it does not know (PST, CEST) are here too, so they get the same advice.
_PLACES = {
    **dict.fromkeys(("EST", "EDT", "EST5EDT", "ET"), "America/New_York"),
    **dict.fromkeys(("CST", "CDT", "CST6CDT", "CT"), "America/Chicago"),
    **dict.fromkeys(("MST", "MDT", "MST7MDT", "MT"), "America/Denver (America/Phoenix in Arizona)"),
    **dict.fromkeys(("PST", "PDT", "PST8PDT", "PT"), "America/Los_Angeles"),
    **dict.fromkeys(("AKST", "AKDT"), "America/Anchorage"),
    "HST": "Pacific/Honolulu",
    **dict.fromkeys(("GMT", "GMT0", "GMT+0", "GMT-0", "GREENWICH", "BST", "ETC/GMT", "ETC/GMT0", "ETC/GMT+0",
                     "ETC/GMT-0", "ETC/GREENWICH"), "Europe/London, or UTC"),
    **dict.fromkeys(("UCT", "UNIVERSAL", "ZULU", "ETC/UCT", "ETC/UNIVERSAL", "ETC/ZULU"), "UTC"),
    **dict.fromkeys(("WET", "WEST"), "Europe/Lisbon (or your city's zone)"),
    **dict.fromkeys(("CET", "CEST", "MET", "MEST"), "Europe/Berlin (or your city's zone: Europe/Paris, Europe/Madrid...)"),
    **dict.fromkeys(("EET", "EEST"), "Europe/Athens (or your city's zone: Europe/Helsinki, Europe/Kyiv...)"),
    "IST": "Asia/Kolkata (or Europe/Dublin, Asia/Jerusalem)",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    **dict.fromkeys(("AEST", "AEDT"), "Australia/Sydney"),
    **dict.fromkeys(("NZST", "NZDT"), "Pacific/Auckland"),
}
#: First parts of tz database names that are no area of the world.
_NO_AREAS = frozenset({"Etc", "posix", "right", "SystemV"})
_ANY_PLACE = "your place's Area/City name, such as America/New_York or Europe/Berlin"


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """The tz database's old names and the Area/Location name each links to (``Japan`` -> ``Asia/Tokyo``).

    Read from the ``tzdata`` package's ``tzdata.zi`` (its ``L <target> <name>`` lines); empty without it.
    """
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        return {}
    links = (line.split() for line in text.splitlines() if line.startswith("L "))
    return {parts[2]: parts[1] for parts in links if len(parts) == 3 and "/" in parts[1]}


def _fixed_offset(zone_info: ZoneInfo) -> str | None:
    """``"UTC-05:00"`` when ``zone_info`` keeps one offset all this year (no daylight saving), else None."""
    year = dt.date.today().year
    offsets = {dt.datetime(year, month, 1, 12, tzinfo=zone_info).utcoffset() for month in range(1, 13)}
    if len(offsets) != 1:
        return None
    minutes = int(offsets.pop().total_seconds() // 60)
    return f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _place_name(text: str) -> bool:
    """Whether ``text`` has the form of a place's zone: Area/Location (``Europe/Berlin``, ``US/Eastern``), or UTC."""
    return text in ("UTC", "Etc/UTC") or ("/" in text and text.split("/", 1)[0] not in _NO_AREAS)


def _not_a_place(text: str, zone_info: ZoneInfo | None) -> str | None:
    """Why ``text`` is refused although the tz database may know it (an abbreviation, a fixed offset, an old
    alias), with the name to use; None for an Area/Location name or ``UTC``/``Etc/UTC``."""
    if _place_name(text):
        return None
    area = text.split("/", 1)[0] if "/" in text else None
    place = _PLACES.get(text.upper())
    if zone_info is None:  # not in the tz database: only an abbreviation it lacks (PST) has advice
        return f"`{text}` is an abbreviation, not a timezone; use {place}" if place else None
    offset = _fixed_offset(zone_info)
    if offset is not None and (place or area == "Etc"):
        return f"`{text}` is a fixed offset ({offset}) with no daylight saving; use {place or _ANY_PLACE}"
    if place:
        return f"`{text}` is an abbreviation, not a place; use {place}"
    linked = _links().get(text)
    if linked:
        return f"`{text}` is an old alias, not an Area/City name; use {linked}"
    return f"`{text}` is not an Area/City timezone name; use {_ANY_PLACE}"


@lru_cache(maxsize=1024)
def parse_timezone(value: str) -> str:
    """Validate an IANA timezone name of Area/Location form (``Europe/Berlin``), or ``UTC``, and return it
    as the tz database spells it (``europe/paris`` -> ``Europe/Paris``).

    Raises
    ------
    ValueError
        Not a timezone known to the system's tz database (or ``tzdata``); or a name it knows that
        is no place (``EST``, ``CET``, ``EST5EDT``, ``GMT``, ``Etc/GMT+5``, ``Japan``): the message
        says what it is and which name to use (``EST`` is a fixed offset (UTC-05:00) with no daylight
        saving; use America/New_York).
    """
    text = str(value).strip()
    if looks_like_time(text):
        raise ValueError(f"`{text}` is a time, not a timezone; use an IANA name such as Europe/Berlin")
    try:
        zone_info = ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        zone_info = None
    if zone_info is None:  # typed in another case (europe/paris): the name as the tz database spells it
        spelled = {z.lower(): z for z in available_timezones()}
        if text.lower() in spelled:
            text = spelled[text.lower()]
            zone_info = ZoneInfo(text)
    why = _not_a_place(text, zone_info)
    if why:
        raise ValueError(why)
    if zone_info is None:
        raise ValueError(f"`{text}` is not a timezone; use an IANA name such as {_closest_zone(text)}")
    return text


def _closest_zone(text: str) -> str:
    """The place name closest to a mistyped one (America/NewYork: America/New_York), else Europe/Berlin."""
    import difflib

    places = {z.lower().replace("_", ""): z for z in available_timezones() if _place_name(z)}
    close = difflib.get_close_matches(text.lower().replace("_", "").replace(" ", ""), list(places), n=1, cutoff=0.8)
    return places[close[0]] if close else "Europe/Berlin"


def looks_like_timezone(value: str) -> bool:
    """True when ``value`` is meant as a timezone: an Area/City name (valid or not), ``UTC`` or an abbreviation
    such as ``EST`` or ``PST`` (which :func:`parse_timezone` refuses, saying what to use)."""
    text = str(value).strip()
    return "/" in text or text.upper() == "UTC" or text.upper() in _PLACES


def zone(name: str) -> ZoneInfo:
    """The zone of a stored timezone name, as it was accepted when stored (a name refused today, such as
    ``EST``, from an older version, still schedules as before).

    Raises
    ------
    ValueError
        Not a timezone known to the tz database.
    """
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"`{name}` is not a timezone; use an IANA name such as Europe/Berlin") from None


def timezone_choices(prefix: str, limit: int = 25) -> list[str]:
    """Accepted IANA timezone names containing ``prefix`` (case-insensitive), sorted, at most ``limit``."""
    needle = prefix.lower()
    return sorted(z for z in available_timezones() if needle in z.lower() and _place_name(z))[:limit]


#: A local time of day, normalised to ``HH:MM`` at validation.
TimeOfDay = Annotated[str, AfterValidator(parse_time_of_day)]
#: An IANA timezone name of Area/Location form (or UTC), checked against the tz database at validation.
TimezoneName = Annotated[str, AfterValidator(parse_timezone)]
