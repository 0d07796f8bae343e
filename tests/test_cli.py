"""The ``paperbot`` command line, as a script would use it."""

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def assert_wrapped_indented(out: str, width: int) -> None:
    """Every line of the papers in ``out`` fits ``width`` with no trailing space, and each line under a paper's
    ``n. title`` line is indented: the title's continuation under the title, its meta line and reason at 3."""
    papers = [line for line in out.splitlines() if line and "─" not in line and not line.startswith(("Your top", "(the papers"))]
    assert papers and all(len(line) <= width and line == line.rstrip() for line in papers), out
    assert all(re.match(r"(\d+\.|👍) \S", line) or line.startswith("   ") for line in papers), out
    wrapped = [line for line in papers if line.startswith("   ") and not line.lstrip().startswith(("why:", "Hugging"))]
    assert wrapped, "no title was long enough to wrap"


def test_ingest_summary_and_second_run_stores_nothing_new(cli, sample_digests):
    first = cli("ingest", sample_digests, "--json")
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    assert [r["entries"] for r in rows] == [37, 39, 149]
    assert sum(r["new"] for r in rows) == 216
    again = cli("ingest", sample_digests)
    assert again.exit_code == 0
    assert "Nothing new" in again.stdout
    assert "3 of 3 digests were ingested before" in again.stdout


def test_ingest_refits_the_model_when_the_store_has_grown(cli, sample_digests):
    """A trial ingested a digest a day by hand: picks, reasons and spelling kept the first day's vocabulary (no
    "unlearning", "grokking") until `paperbot run`'s hourly refit, which a team without `run` never gets."""
    first, second, third = sorted(sample_digests.iterdir())
    assert "refitted" not in cli("ingest", str(first)).output  # no model yet: the first picks fit one
    assert cli("users", "add", "kim", "--interests", "machine unlearning").exit_code == 0
    assert cli("picks", "kim").exit_code == 0
    held = cli("ingest", str(second), "--no-refit")
    assert held.exit_code == 0 and "refitted" not in held.output  # left to `run` or `paperbot refit`
    assert "refitted" not in cli("ingest", str(second)).output  # nothing new: nothing to refit
    quiet = cli("ingest", str(third), "--json")
    assert quiet.exit_code == 0 and isinstance(json.loads(quiet.stdout), list)  # JSON stays JSON: the note is on stderr
    stored = json.loads(cli("stats", "--json").stdout)["papers"]
    assert f"refitted on {stored} papers" in " ".join(quiet.stderr.split())


def test_ingest_exits_nonzero_and_names_the_bad_file(cli, tmp_path, sample_digests):
    shutil.copy(sample_digests / "000_c6f8620f3de3774f.txt", tmp_path / "good.txt")
    (tmp_path / "bad.json").write_text("[1, 2, 3]")
    result = cli("ingest", tmp_path / "good.txt", tmp_path / "bad.json", "--json")
    assert result.exit_code == 1
    rows = {r["source"].rsplit("/", 1)[-1]: r for r in json.loads(result.stdout)}
    assert rows["good.txt"]["new"] == 37 and rows["good.txt"]["error"] is None
    assert "bad.json" in rows["bad.json"]["error"]
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["papers"] == 37 and stats["digests"] == 1


def test_users_picks_like_search_and_stats(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    added = cli("users", "add", "grace", "--interests", "network pruning; quantization")
    assert added.exit_code == 0 and "network pruning" in added.stdout
    picks = json.loads(cli("picks", "grace", "-k", "3", "--json").stdout)["picks"]
    assert len(picks) == 3
    assert all(p["reason"] for p in picks)
    assert any("prun" in p["title"].lower() or "quantiz" in p["title"].lower() for p in picks)

    liked = cli("like", "grace", f"#{picks[0]['paper_id']}")
    assert liked.exit_code == 0 and "👍" in liked.stdout
    assert cli("dislike", "grace", "9999.99999").exit_code == 1  # unknown paper: clear error, non-zero
    after = json.loads(cli("picks", "grace", "-k", "3", "--json").stdout)["picks"]
    assert picks[0]["paper_id"] not in [p["paper_id"] for p in after]

    found = json.loads(cli("search", "graph neural networks", "-k", "2", "--json").stdout)["results"]
    assert len(found) == 2 and all("graph" in r["title"].lower() for r in found)
    stats = json.loads(cli("stats", "--json").stdout)
    assert (stats["papers"], stats["users"], stats["likes"], stats["dislikes"]) == (216, 1, 1, 0)
    users = json.loads(cli("users", "list", "--json").stdout)
    assert users[0]["interests"] == ["network pruning", "quantization"]


def test_demo_prints_channel_and_user_digests(tmp_path):
    """At 80 columns (``COLUMNS``, as a terminal's width) too: a long title, reason or team line went on at
    column 0; it goes on indented, under the title or the interests (:func:`assert_wrapped_indented`)."""
    result = runner.invoke(app, ["--log-level", "WARNING", "demo", "--data-dir", str(tmp_path / "demo")],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    team = out[out.index("2. The team"):out.index("3. Today's digests")].splitlines()[1:-1]
    assert len(team) > 4 and all(line.startswith(("@", "#", "  ")) for line in team), team  # 4 lines, some wrapped
    assert_wrapped_indented(out[out.index("3. Today's digests"):out.index("\nDemo data is in")], 80)
    assert "216" in out and "225" in out
    assert "#ml-reading-group" in out
    for user in ("ada", "grace", "alan"):
        assert f"DM @{user}" in out
    assert out.count("why:") >= 4 * 5
    # step 4 says why the liked paper's neighbours in ada's digest do not come back, and they do not
    digest, after = out[out.index("Papers for ada"):out.index("Papers for grace")], out[out.index("4. Feedback"):]
    assert "(the papers of @ada's digest above are never picked again)" in " ".join(after.split())

    def numbered(text: str) -> set[str]:
        return {line[3:30] for line in text.splitlines() if re.match(r"\d\. ", line)}

    assert len(numbered(digest)) == 5 and numbered(after) and not numbered(digest) & numbered(after)
    db = tmp_path / "demo" / "paperbot.db"
    assert f'paperbot --database-url sqlite:///{db.resolve()} search "zero-shot"\n' in out  # one line, to copy


def test_bad_input_gets_one_clear_line_and_a_nonzero_status(cli, tmp_path):
    unknown = cli("picks", "nobody")
    assert unknown.exit_code == 1 and "unknown user 'nobody'" in unknown.output
    assert cli("like", "nobody", "2401.00001").exit_code == 1
    assert cli("search", "graphs", "--user", "ghost").exit_code == 1
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["users"] == 0  # typos create nobody
    assert cli("users", "add", " ").exit_code == 2
    bad_time = cli("channels", "add", "lab", "--time", "25:00")
    assert bad_time.exit_code == 2 and "25:00" in bad_time.output and "Traceback" not in bad_time.output
    assert cli("users", "add", "ada").exit_code == 0
    for who in ([], ["--user", "ada"]):  # an empty store answers, it does not try to fit a model on no paper
        empty = cli("search", "graphs", *who)
        assert empty.exit_code == 0 and "No stored paper matches" in empty.output
    assert cli("picks", "ada", "-k", "0").exit_code == 2
    assert cli("search", "x", "--since", "2025-01-02", "--until", "2025-01-01").exit_code == 2
    month = cli("search", "x", "--since", "2024-13-01")  # a trial: it had blamed the format
    assert month.exit_code == 2 and "month must be in 1..12" in month.output
    assert "month must be in 1..12" in cli("search", "x", "--until", "2024-13").output  # a month alone, named too
    leap = cli("search", "x", "--until", "2024-02", "--since", "2024-02-29")
    assert leap.exit_code == 0, leap.output  # --until 2024-02 ends on the 29th, so the two bounds meet
    vague = cli("search", "x", "--since", "last year")
    said = " ".join(w for w in vague.output.split() if w != "│")  # the error box's side bars
    assert vague.exit_code == 2 and "YYYY-MM-DD, a month as YYYY-MM, or a year as YYYY" in said
    assert cli("search", "x", "--source", "bogus").exit_code == 2


def test_a_postgres_url_gets_the_spelling_sqlalchemy_reads():
    """A trial's `--database-url postgres://…` said "Can't load plugin: sqlalchemy.dialects:postgres"."""
    result = runner.invoke(app, ["--database-url", "postgres://paperbot:s3cret@127.0.0.1:1/nope", "stats"])
    assert result.exit_code == 2 and "write postgresql+psycopg://" in " ".join(result.output.split())
    assert "s3cret" not in result.output


def test_unreachable_database_is_one_line_without_password(tmp_path):
    url = "postgresql+psycopg://paperbot:s3cret@127.0.0.1:1/nope"
    result = runner.invoke(app, ["--database-url", url, "stats"])
    assert result.exit_code == 1  # the database is down, the command's input is fine (tests/test_outage_start.py)
    assert "cannot open the database" in result.output and "s3cret" not in result.output
    assert "Traceback" not in result.output


def test_folder_ingest_says_what_it_skipped(cli, tmp_path, sample_digests):
    shutil.copy(sample_digests / "000_c6f8620f3de3774f.txt", tmp_path / "good.txt")
    (tmp_path / "NOTES.md").write_text("notes")
    (tmp_path / "sub").mkdir()
    result = cli("ingest", tmp_path)
    assert result.exit_code == 0
    assert "skipped NOTES.md: not a digest file type (.md)" in result.stdout
    assert "skipped sub: a folder" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli("ingest", empty)
    assert nothing.exit_code == 1 and "holds no digest file" in nothing.output


def test_an_empty_search_query_is_a_usage_error(cli):
    for query in ("", "   "):
        result = cli("search", query)
        assert result.exit_code == 2
        assert "the query is empty" in result.output


def test_who_in_a_channel_never_added_is_an_error(cli, sample_digests):
    assert cli("ingest", sample_digests / "000_c6f8620f3de3774f.txt").exit_code == 0
    unknown = cli("who", "#1", "--channel", "nosuch")
    assert unknown.exit_code == 1 and "unknown channel 'nosuch'" in unknown.output
    assert cli("channels", "add", "lab").exit_code == 0
    known = cli("who", "#1", "--channel", "lab")
    assert known.exit_code == 0 and "opted in" in known.output


def test_who_without_a_channel_ranks_the_local_users_who_opted_in(cli, sample_digests):
    """What a team expects from `paperbot who PAPER`: the opted-in users the paper fits, each with why."""
    assert cli("ingest", sample_digests).exit_code == 0
    for name, topic in (("kim", "graph neural networks"), ("mia", "diffusion models"), ("raj", "graph neural networks")):
        assert cli("users", "add", name, "--interests", topic).exit_code == 0
    for name in ("kim", "mia"):  # raj fits too but never opted in
        assert cli("users", "mentions", name, "on").exit_code == 0
    gnn = next(r for r in json.loads(cli("search", "graph neural networks", "--json").stdout)["results"]
               if "graph neural" in r["title"].lower())
    result = cli("who", gnn["ref"])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert any(line.startswith("• kim: ") and "matches graph neural" in line for line in lines), result.stdout
    assert not any(line.startswith("• raj") for line in lines)
    assert cli("channels", "add", "lab").exit_code == 0
    assert cli("who", gnn["ref"], "--channel", "lab").stdout == result.stdout  # its members: the same opted-in users
    missing = cli("who", "#999999")
    assert missing.exit_code == 1 and "no stored paper is #999999" in missing.output


def test_who_json_gives_the_same_people_as_data(cli, sample_digests):
    """`paperbot who PAPER --json`, like every listing command: the paper, the opted-in users it fits
    (best first, with fit and why), and who already rated it (never listed as fitting it)."""
    assert cli("ingest", sample_digests).exit_code == 0
    for name, topic in (("kim", "graph neural networks"), ("mia", "diffusion models"), ("raj", "graph neural networks"),
                        ("lee", "graph neural networks")):
        assert cli("users", "add", name, "--interests", topic).exit_code == 0
    for name in ("kim", "mia", "lee"):  # raj fits too but never opted in
        assert cli("users", "mentions", name, "on").exit_code == 0
    gnn = next(r for r in json.loads(cli("search", "graph neural networks", "--json").stdout)["results"]
               if "graph neural" in r["title"].lower())
    assert cli("like", "lee", gnn["ref"]).exit_code == 0
    result = cli("who", gnn["ref"], "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["paper"]["paper_id"] == gnn["paper_id"] and data["paper"]["title"] == gnn["title"]
    assert data["channel"] is None and data["opted_in"] == 3 and 0 < data["min_fit"] < 1
    people = data["people"]
    assert people[0]["name"] == "kim" and "matches graph neural" in people[0]["reason"]
    assert [p["fit"] for p in people] == sorted((p["fit"] for p in people), reverse=True)
    assert all(p["weak"] == (p["fit"] < data["min_fit"]) for p in people)
    assert {p["name"] for p in people} <= {"kim", "mia"}  # raj never opted in, lee rated it
    assert data["rated"] == [{"name": "lee", "rating": "like"}]
    text = cli("who", gnn["ref"]).stdout  # the text answer names the same people
    assert all(f"• {p['name']}: {p['fit']:.2f}" in " ".join(text.split()) for p in people)
    assert cli("channels", "add", "lab").exit_code == 0
    in_lab = json.loads(cli("who", gnn["ref"], "--channel", "lab", "--json").stdout)
    assert in_lab["channel"] == "lab" and in_lab["people"] == people  # its members: the same opted-in users
    missing = cli("who", "#999999", "--json")
    assert missing.exit_code == 1 and "no stored paper is #999999" in missing.output


def test_a_user_typed_in_another_case_is_pointed_to_the_stored_one(cli):
    assert cli("users", "add", "omar", "--interests", "graph learning").exit_code == 0
    typed = cli("picks", "Omar")
    assert typed.exit_code == 1 and "did you mean 'omar'" in typed.output and "users add Omar" not in typed.output
    assert "users add nobody" in cli("picks", "nobody").output  # no name alike: how to add one


def test_users_add_names_the_person_to_the_admin_who_typed_it(cli):
    grace = cli("users", "add", "grace", "--interests", "network pruning; quantization")
    assert "grace's interests:" in grace.stdout and "Your interests" not in grace.stdout
    newbie = cli("users", "add", "newbie")
    assert "newbie has no interests yet" in newbie.stdout and "You have" not in newbie.stdout
    left = cli("users", "remove-interest", "grace", "quantization")
    assert left.exit_code == 0 and "grace's interests:" in left.stdout and "• network pruning" in left.stdout


def test_users_add_drops_interests_of_separators_or_punctuation_alone(cli):
    added = cli("users", "add", "zed", "--interests", "graph learning;; , ;  ")
    assert added.exit_code == 0, added.output
    nothing = cli("users", "add", "bo", "--interests", ";;, ,")
    assert nothing.exit_code == 2 and "holds no interest" in nothing.output
    for empty in ("", "  "):  # a trial: these added bo with exit 0, though the help says exit 2
        assert cli("users", "add", "bo", "--interests", empty).exit_code == 2
    users = {u["name"]: u["interests"] for u in json.loads(cli("users", "list", "--json").stdout)}
    assert users == {"zed": ["graph learning"]}  # bo was not added


def test_cli_counts_of_one_are_singular(cli, sample_digests):
    one = sample_digests / "000_c6f8620f3de3774f.txt"
    assert cli("ingest", one).exit_code == 0
    again = cli("ingest", one)
    assert "1 of 1 digest was ingested before" in again.stdout
    lab = cli("channels", "add", "lab", "--size", "1")
    assert "1 paper every day" in lab.stdout


def test_like_says_which_kind_of_paper_reference_found_nothing(cli):
    assert cli("users", "add", "grace").exit_code == 0
    valid = cli("like", "grace", "2401.01234")
    assert valid.exit_code == 1 and "no stored paper has the arXiv id 2401.01234" in valid.output
    assert "give an arXiv id" not in valid.output
    nonsense = cli("like", "grace", "attention")
    assert nonsense.exit_code == 1 and "no stored paper `attention`: give an arXiv id" in nonsense.output


def test_cli_replies_point_to_cli_commands_not_chat_ones(cli):
    newbie = cli("users", "add", "newbie")
    assert 'paperbot users add newbie --interests "graph neural networks"' in " ".join(newbie.stdout.split())
    no_channel = cli("channels", "mentions", "nosuch", "on")
    assert no_channel.exit_code == 1 and "paperbot channels add nosuch" in no_channel.output
    assert cli("channels", "add", "reading").exit_code == 0
    typo = cli("channels", "mentions", "readin", "on")  # named as every --channel is: the channel meant
    assert typo.exit_code == 1 and "unknown channel 'readin': did you mean 'reading'?" in " ".join(typo.output.split())
    assert "/papers" not in newbie.output + no_channel.output


def test_users_subscribe_and_unsubscribe_set_the_daily_picks(cli):
    assert cli("users", "subscribe", "nobody").exit_code == 1  # never added: nothing created
    assert cli("users", "add", "ada", "--interests", "graph learning").exit_code == 0
    assert cli("users", "subscribe", "ada", "--time", "25:99").exit_code == 2
    done = cli("users", "subscribe", "ada", "--time", "07:30", "--timezone", "Europe/Paris")
    assert done.exit_code == 0 and "ada's picks are printed every day at 07:30 Europe/Paris" in done.output
    [ada] = json.loads(cli("users", "list", "--json").stdout)
    assert (ada["subscribed"], ada["time"], ada["timezone"]) == (True, "07:30", "Europe/Paris")
    stopped = cli("users", "unsubscribe", "ada")
    assert stopped.exit_code == 0 and "ada gets no more daily picks" in stopped.output
    assert [u["subscribed"] for u in json.loads(cli("users", "list", "--json").stdout)] == [False]
    again = cli("users", "unsubscribe", "ada")  # the admin is told about ada, not addressed as "you"
    assert again.exit_code == 0 and "ada was not subscribed" in again.output and "You" not in again.output


def test_users_mentions_names_the_user_to_the_admin(cli):
    assert cli("users", "add", "bob").exit_code == 0
    on = cli("users", "mentions", "bob", "on")
    assert on.exit_code == 0 and "bob may now be named" in on.output
    assert "bob has no interests or 👍 yet" in on.output and "You" not in on.output
    assert cli("users", "add", "bob", "--interests", "graph learning").exit_code == 0
    again = cli("users", "mentions", "bob", "on")
    assert "bob may now be named" in again.output and "no interests" not in again.output
    off = cli("users", "mentions", "bob", "off")
    assert off.exit_code == 0 and "bob will no longer be named" in off.output
    assert [u["mentions"] for u in json.loads(cli("users", "list", "--json").stdout)] == [False]


def test_channels_add_takes_one_word_and_drops_a_leading_hash(cli):
    for bad in ("", "  ", "a b", "##"):
        assert cli("channels", "add", bad).exit_code == 2, bad
    assert cli("channels", "add", "#lab").exit_code == 0
    assert [c["channel"] for c in json.loads(cli("channels", "list", "--json").stdout)] == ["lab"]


def test_demo_team_names_are_one_word_like_the_cli_takes_them(tmp_path):
    from pydantic import ValidationError

    from bot.demo import DemoTeam

    for team in ({"users": [{"name": "x y"}]}, {"channels": [{"name": "#lab"}]}, {"users": [{"name": ""}]}):
        with pytest.raises(ValidationError):
            DemoTeam.model_validate(team)
    assert DemoTeam.model_validate({"users": [{"name": "ada"}], "channels": [{"name": "lab"}]}).users[0].name == "ada"


def test_users_add_with_one_bad_interest_adds_nothing(cli):
    result = cli("users", "add", "zed", "--interests", "graph learning; " + "x" * 301)
    assert result.exit_code == 2 and "at most" in result.output
    assert json.loads(cli("users", "list", "--json").stdout) == []  # neither zed nor "graph learning"
    many = "; ".join(f"topic {i}" for i in range(21))
    assert cli("users", "add", "zed", "--interests", many).exit_code == 2
    assert json.loads(cli("users", "list", "--json").stdout) == []


def test_start_on_an_empty_store_points_to_the_cli_command(cli):
    assert cli("users", "add", "mia", "--interests", "graph learning").exit_code == 0
    result = cli("start", "mia")
    assert "`paperbot start mia`" in result.output and "/papers" not in result.output


def test_output_read_with_its_errors_starts_with_the_answer_not_a_blank_line(cli, sample_digests, tmp_path):
    """A trial: library import messages started with a blank line. A transient progress bar on a standard error
    that is no terminal (a pipe, a log, this runner) drew nothing, then ended with an empty line."""
    assert cli("users", "add", "mia").exit_code == 0
    library = tmp_path / "mine.bib"
    library.write_text("@article{k, title = {Sparse Graph Kernels}, author = {Lovelace, Ada}, year = 2020}\n")
    imported = cli("import", "mia", library)
    assert imported.exit_code == 0 and imported.output.startswith("Imported 1 entry"), repr(imported.output[:40])
    assert imported.stderr == ""
    ingested = cli("ingest", sample_digests)  # three files: a bar of its own
    assert ingested.exit_code == 0 and ingested.output.split("\n", 1)[0].strip(), repr(ingested.output[:40])


def test_picks_wrap_a_long_title_and_meta_line_with_their_indent(cli, tmp_path):
    """``paperbot picks`` at 80 columns: a title or a meta line (many authors) longer than a line went on at
    column 0, under the paper's number; it goes on indented, under the title or the meta line."""
    title = ("Diffusion Models for Video Generation with Graph Neural Networks, Speech Recognition and Vision "
             "Transformers for Protein Structure Prediction")
    authors = ["Bartholomew Featherstonehaugh-Cholmondeley", "Maximiliana Wolfeschlegelsteinhausen",
               "Oluwaseun Adebayo-Okonkwo", "Anna Li"]
    digest = tmp_path / "daily.json"
    digest.write_text(json.dumps([{"paper": {"id": "2405.00001", "title": title,
                                             "authors": [{"name": name} for name in authors],
                                             "summary": "A study of diffusion models for video generation.",
                                             "publishedAt": "2024-05-01T00:00:00Z"}}]))
    assert cli("ingest", digest).exit_code == 0
    assert cli("users", "add", "mia", "--interests", "diffusion models; video generation").exit_code == 0
    result = cli("picks", "mia", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert_wrapped_indented(result.stdout, 80)
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert " ".join(line.strip() for line in lines[first:first + 2]) == f"1. {title}"
    meta = " ".join(line.strip() for line in lines[first + 2:first + 5])
    assert meta == ", ".join(authors) + " · Hugging Face Daily Papers · 2024-05-01 · 2405.00001", result.stdout
