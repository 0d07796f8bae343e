"""Timezones are places: abbreviations and fixed offsets the tz database knows (EST, CET, GMT) are refused
everywhere a schedule is typed (slash commands, the command line, the config file), saying what to use."""

import datetime as dt
import json
from zoneinfo import available_timezones

import pytest
from sqlalchemy import select

from bot.clock import parse_timezone, timezone_choices
from bot.commands import Caller, Commands
from bot.service.triggers import daily_trigger, last_slot
from bot.settings import ConfigError, get_settings
from recommender.store import Channel, ChannelChange, Member

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")

#: The tz database's names that are not Area/Location (nor UTC): abbreviations, POSIX rules, old aliases.
NOT_PLACES = sorted(z for z in available_timezones() if "/" not in z and z != "UTC")
ETC = sorted(z for z in available_timezones() if z.startswith("Etc/") and z != "Etc/UTC")


@pytest.mark.parametrize("name, says", [
    ("EST", "`EST` is a fixed offset (UTC-05:00) with no daylight saving; use America/New_York"),
    ("MST", "`MST` is a fixed offset (UTC-07:00) with no daylight saving; use America/Denver"),
    ("HST", "`HST` is a fixed offset (UTC-10:00) with no daylight saving; use Pacific/Honolulu"),
    ("CET", "`CET` is an abbreviation, not a place; use Europe/Berlin"),
    ("EST5EDT", "`EST5EDT` is an abbreviation, not a place; use America/New_York"),
    ("GMT", "`GMT` is a fixed offset (UTC+00:00) with no daylight saving; use Europe/London, or UTC"),
    ("Etc/GMT+5", "`Etc/GMT+5` is a fixed offset (UTC-05:00) with no daylight saving; use your place's Area/City"),
    ("Japan", "`Japan` is an old alias, not an Area/City name; use Asia/Tokyo"),
    ("PST", "`PST` is an abbreviation, not a timezone; use America/Los_Angeles"),  # not even in the tz database
])
def test_an_abbreviation_or_fixed_offset_is_refused_with_the_name_to_use(name, says):
    with pytest.raises(ValueError) as info:
        parse_timezone(name)
    assert str(info.value).startswith(says)


def test_every_tz_name_that_is_no_place_is_refused_and_places_and_utc_are_not():
    assert {"EST", "MST", "HST", "CET", "EET", "MET", "WET", "EST5EDT", "CST6CDT", "PST8PDT"} <= set(NOT_PLACES)
    for name in NOT_PLACES + ETC:
        with pytest.raises(ValueError, match="; use "):
            parse_timezone(name)
    for name in ("UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "US/Eastern"):
        assert parse_timezone(name) == name
    assert not set(timezone_choices("EST")) & set(NOT_PLACES)  # Discord's autocomplete offers places only
    assert "America/New_York" in timezone_choices("new_york") and "UTC" in timezone_choices("utc")


@pytest.fixture
def cmds(papers_store, settings):
    return Commands(papers_store, settings)


def rows(store) -> list:
    with store.session() as s:
        return [(m.subscribed, m.digest_time, m.timezone) for m in s.scalars(select(Member))] + \
            [(c.topic, c.timezone) for c in s.scalars(select(Channel))] + s.scalars(select(ChannelChange.change)).all()


@pytest.mark.parametrize("text", ["subscribe 08:00 EST", "subscribe CET", "channel setup 09:00 EST graphs",
                                  "channel setup EST5EDT", "channel setup 09:00 PST"])
def test_a_slash_command_with_an_abbreviation_is_a_usage_error_and_changes_nothing(cmds, text):
    assert cmds.handle(ADA, "subscribe 07:00 Europe/Paris").ok and cmds.handle(ADA, "channel setup 07:00 UTC ml").ok
    before = rows(cmds.store)
    reply = cmds.handle(ADA, text)
    assert not reply.ok and reply.usage and reply.ephemeral
    assert "; use America/" in reply.text or "; use Europe/Berlin" in reply.text  # not a topic "EST graphs"
    assert rows(cmds.store) == before


def test_the_command_line_refuses_an_abbreviation_with_status_2_and_changes_nothing(cli):
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("channels", "add", "lab").exit_code == 0
    before = (cli("users", "list", "--json").stdout, cli("channels", "list", "--json").stdout)
    sub = cli("users", "subscribe", "ada", "--time", "08:00", "--timezone", "EST")
    assert sub.exit_code == 2 and "use America/New_York" in " ".join(sub.output.split())
    add = cli("channels", "add", "lab", "--timezone", "CET")
    assert add.exit_code == 2 and "use Europe/Berlin" in " ".join(add.output.split())
    assert (cli("users", "list", "--json").stdout, cli("channels", "list", "--json").stdout) == before
    assert json.loads(before[0])[0]["subscribed"] is False


def test_the_config_file_refuses_an_abbreviation_naming_the_key(monkeypatch, tmp_path):
    config = tmp_path / "paperbot.toml"
    config.write_text('[digest]\ntimezone = "EST"\n\n[[sources]]\nkind = "hf_api"\ntimezone = "CET"\n')
    monkeypatch.setenv("PAPERBOT_CONFIG", str(config))
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError) as info:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert str(info.value).splitlines() == [
        f"{config}: digest.timezone: `EST` is a fixed offset (UTC-05:00) with no daylight saving; use America/New_York",
        f"{config}: sources[0].timezone: `CET` is an abbreviation, not a place; use Europe/Berlin (or your city's zone: "
        "Europe/Paris, Europe/Madrid...)",
    ]


def test_a_name_stored_by_an_older_version_still_schedules():
    """A channel set to EST before names were checked keeps its digest (at UTC-5, as it was) rather than failing."""
    assert str(daily_trigger("09:00", "EST").timezone) == "EST"
    day, slot = last_slot("09:00", "EST", dt.datetime(2026, 7, 1, 15, tzinfo=dt.UTC))
    assert (day, slot.astimezone(dt.UTC).hour) == (dt.date(2026, 7, 1), 14)


@pytest.mark.parametrize("typed, stored", [("europe/paris", "Europe/Paris"), ("AMERICA/NEW_YORK", "America/New_York"),
                                           ("utc", "UTC"), (" asia/kolkata ", "Asia/Kolkata")])
def test_a_name_typed_in_another_case_is_the_tz_databases_name(typed, stored):
    assert parse_timezone(typed) == stored


def test_an_abbreviation_in_lower_case_is_refused_saying_what_to_use():
    with pytest.raises(ValueError, match="`EST` is a fixed offset .* use America/New_York"):
        parse_timezone("est")
