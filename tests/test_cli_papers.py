"""``paperbot papers PERSON …``: the whole /papers slash command on the command line, no chat account needed."""

import json

from bot.clock import parse_time_of_day


def test_a_local_user_types_papers_commands_and_sets_up_a_channel(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("users", "add", "ada").exit_code == 0
    added = cli("papers", "ada", "interests", "add", "graph neural networks")
    assert added.exit_code == 0 and "graph neural networks" in added.stdout
    picks = cli("papers", "ada", "/papers", "picks")
    assert picks.exit_code == 0 and "Your top 5 picks" in picks.stdout and "why:" in picks.stdout
    setup = cli("papers", "ada", "--channel", "#reading", "channel", "setup", "08:30", "Europe/Paris", "graph learning")
    assert setup.exit_code == 0, setup.stdout
    listed = " ".join(cli("channels", "list").stdout.split())
    assert "reading" in listed and "08:30" in listed and "Europe/Paris" in listed


def test_commands_typed_one_per_line_run_in_order_and_a_refused_one_sets_the_exit_status(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("users", "add", "ada").exit_code == 0
    typed = "/papers interests add zero-shot learning\n\n/papers subscribe 7pm\ninterests list\n"
    out = cli("papers", "ada", input=typed)
    assert out.exit_code == 1  # the subscribe was refused; the lines after it still ran
    text = " ".join(out.stdout.split())
    assert "`7pm` is not a time; use 24-hour HH:MM: 19:00" in text
    assert text.rindex("zero-shot learning") > text.index("7pm")  # interests list answered after it
    assert "│ off" in cli("users", "list").stdout  # no DM digest was set


def test_an_unknown_person_is_refused_and_nothing_is_created(cli):
    out = cli("papers", "nobody", "picks")
    assert out.exit_code == 1 and "unknown user 'nobody'" in out.stderr
    assert "nobody" not in cli("users", "list").stdout


def test_a_twelve_hour_time_is_refused_with_its_24_hour_spelling():
    for typed, said in [("7pm", "19:00"), ("12am", "00:00"), ("12:30 p.m.", "12:30"), ("9AM", "09:00")]:
        try:
            parse_time_of_day(typed)
        except ValueError as exc:
            assert str(exc).endswith(f"use 24-hour HH:MM: {said}")
        else:
            raise AssertionError(f"{typed} was accepted")


def test_a_person_typed_as_a_mention_is_the_same_local_user(cli):
    assert cli("users", "add", "@mia", "--interests", "diffusion models").exit_code == 0
    assert cli("users", "add", "mia", "--interests", "video generation").exit_code == 0  # the same user, not a second
    listed = cli("users", "list", "--json").stdout
    assert [(u["user"], u["name"]) for u in json.loads(listed)] == [("mia", "mia")]
    assert cli("papers", "@mia", "interests", "list").exit_code == 0


def _channels(cli) -> list[str]:
    return [c["channel"] for c in json.loads(cli("channels", "list", "--json").stdout)]


def test_channel_names_are_checked_alike_by_papers_channel_and_channels_add(cli):
    assert cli("users", "add", "ada").exit_code == 0
    for bad in ("#", "  ", "", "a b", "##"):
        typed = cli("papers", "ada", "--channel", bad, "channel", "setup", "08:00")
        assert typed.exit_code == 2, bad
        assert "a channel name is one word" in " ".join(typed.output.split()), bad
    assert _channels(cli) == []  # no blank channel was created
    assert cli("papers", "ada", "--channel", "#lab", "channel", "setup", "08:00").exit_code == 0
    assert _channels(cli) == ["lab"]


def test_a_channel_name_differing_only_in_case_is_refused_as_a_user_name_is(cli):
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("channels", "add", "lab").exit_code == 0
    said = "a channel 'lab' exists; names differing only in case would be two channels: use 'lab' (or remove it first)"
    for args in (("channels", "add", "Lab"), ("papers", "ada", "--channel", "LAB", "channel", "setup", "09:00"),
                 ("papers", "ada", "--channel", "Lab", "channel", "status")):
        twin = cli(*args)
        assert twin.exit_code == 1, args
        assert said in " ".join(twin.output.split()), args
    assert _channels(cli) == ["lab"]
    assert cli("papers", "ada", "--channel", "lab", "channel", "setup", "09:00").exit_code == 0  # the exact name
    assert cli("channels", "add", "Lab-2").exit_code == 0  # names are kept as typed
    assert _channels(cli) == ["lab", "Lab-2"]


def test_onboarding_typed_as_papers_start_points_to_paperbot_start_which_continues_it(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    for name, typed in (("bob", "start"), ("cy", "picks")):  # a newcomer's first picks start onboarding too
        assert cli("users", "add", name).exit_code == 0
        out = cli("papers", name, typed)
        text = " ".join(out.stdout.split())
        assert out.exit_code == 0, text
        assert f"Rate 8 recent papers one at a time with `paperbot start {name}` (y 👍, n 👎, s skips the rest)" in text
        assert "with 👍 or 👎" not in text and "1. " not in text  # no buttons on a terminal: no list to click
    rated = cli("start", "bob", input="y\nn\ns\n")  # the round the command started, rated on the terminal
    assert rated.exit_code == 0, rated.output
    assert "Round 1 of 2, 8 left to rate" in rated.output and "Your first 5 picks" in rated.output


def test_a_channel_command_without_channel_says_to_pass_one(cli):
    assert cli("users", "add", "ada").exit_code == 0
    for line in ("channel setup 08:00", "channel status", "club thursday 16:00", "mentions on"):
        out = cli("papers", "ada", *line.split())
        text = " ".join(out.stdout.split())
        assert out.exit_code == 1, text
        assert (f"`{line}` acts on a local channel: say which with --channel NAME, "
                f"e.g. `paperbot papers ada --channel NAME {line}`") in text
        assert "direct message" not in text and "Usage:" in text
    assert _channels(cli) == []
    assert cli("papers", "ada", "interests", "list").exit_code == 0  # a command of the person's own needs none


def test_no_command_after_the_person_prints_the_usage_as_a_usage_error(cli):
    assert cli("users", "add", "ada").exit_code == 0
    for typed in ("", "  ", "/papers"):
        out = cli("papers", "ada", typed)
        text = " ".join(out.stdout.split())
        assert out.exit_code == 1, repr(typed)
        assert "No command given: type one after the person, e.g. `paperbot papers ada picks`." in text
        assert "Usage: `/papers <command>`" in text and "`picks [n]`: your picks, now" in text
    typed = cli("papers", "ada", input="\n/papers\n")  # at the prompt: a blank line is skipped, /papers is help
    assert typed.exit_code == 0 and typed.stdout.count("Usage:") == 1


def test_channel_and_club_status_without_one_name_the_command_line_that_sets_them(cli):
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("channels", "add", "lab").exit_code == 0
    assert cli("papers", "ada", "--channel", "lab", "channel", "off").exit_code == 0
    channel = " ".join(cli("papers", "ada", "--channel", "lab", "channel", "status").stdout.split())
    assert "Off." in channel
    mentions = cli("papers", "ada", "--channel", "lab", "mentions", "on")  # a digest that is off names nobody
    assert mentions.exit_code == 1 and "`paperbot channels add lab` turns one on" in " ".join(mentions.stdout.split())
    club = " ".join(cli("papers", "ada", "--channel", "lab", "club", "status").stdout.split())
    assert "This channel has no journal club. `paperbot papers ada --channel lab club <weekday> <HH:MM>` sets one." in club


def test_a_command_in_a_channel_never_added_is_refused_but_channel_setup_adds_it(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("channels", "add", "reading").exit_code == 0
    before = cli("channels", "list", "--json").stdout
    # a typo'd channel got a journal club of its own, with no digest, that `status` did not show
    for line in ("club thursday 16:00", "club status", "club off", "club vote 1", "channel status", "channel off",
                 "mentions on", "mentions off", "like #1", "picks"):
        out = cli("papers", "ada", "--channel", "nochan", *line.split())
        said = " ".join(out.output.split())
        assert out.exit_code == 1, (line, said)
        assert ("unknown channel 'nochan' (add one with: paperbot channels add nochan or paperbot papers ada "
                "--channel nochan channel setup; list them with: paperbot channels list). Nothing changed.") in said, line
    typo = " ".join(cli("papers", "ada", "--channel", "readin", "club", "thursday", "16:00").output.split())
    assert "unknown channel 'readin': did you mean 'reading'?" in typo
    assert cli("channels", "list", "--json").stdout == before
    with_club = cli("papers", "ada", "--channel", "reading", "club", "thursday", "16:00")  # a channel added: as before
    assert with_club.exit_code == 0 and "Journal club is on" in with_club.stdout
    typed = cli("papers", "ada", "--channel", "new", input="channel setup 08:00\nclub friday 15:00\n")  # one per line
    assert typed.exit_code == 0, typed.output
    assert _channels(cli) == ["reading", "new"]


def test_a_channel_named_with_another_case_is_pointed_to_the_one_that_exists(cli):
    assert cli("channels", "add", "lab").exit_code == 0
    for args in (("channels", "remove", "Lab"), ("who", "2401.01234", "--channel", "LAB")):
        out = cli(*args)
        assert out.exit_code == 1, args
        assert "unknown channel" in out.output and "did you mean 'lab'? (paperbot channels list shows them)" in " ".join(
            out.output.split()), args
    twin = cli("channels", "mentions", "Lab", "on")  # would say "paperbot channels add Lab", a second channel
    assert twin.exit_code == 1 and "a channel 'lab' exists" in twin.output
    assert cli("channels", "mentions", "#lab", "on").exit_code == 0  # '#' dropped, as channels add does
    assert cli("channels", "mentions", "#", "on").exit_code == 2 and cli("channels", "remove", " # ").exit_code == 2
    assert _channels(cli) == ["lab"]


def test_who_reads_its_channel_as_channels_add_does(cli):
    assert cli("channels", "add", "lab").exit_code == 0
    out = cli("who", "2401.01234", "--channel", "#lab")
    assert out.exit_code == 1 and "unknown channel" not in out.output  # the channel is found; the paper is not stored
