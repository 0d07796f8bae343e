"""Local user names and paper references as people type them on the command line (a user trial)."""

import json

from sources_helpers import RSS


def _users(cli) -> dict:
    return {u["name"]: u["interests"] for u in json.loads(cli("users", "list", "--json").stdout)}


def test_users_add_refuses_a_name_differing_only_in_case(cli):
    assert cli("users", "add", "kim", "--interests", "jazz").exit_code == 0
    twin = cli("users", "add", "Kim", "--interests", "music")
    assert twin.exit_code == 1
    assert ("a user 'kim' exists; names differing only in case would be two people: use 'kim' "
            "(or remove it first)") in " ".join(twin.output.split())
    assert cli("users", "add", "KIM").exit_code == 1
    assert _users(cli) == {"kim": ["jazz"]}  # nothing changed
    more = cli("users", "add", "kim", "--interests", "music")  # the exact name: interests are added
    assert more.exit_code == 0, more.output
    assert cli("users", "add", "Kimberly").exit_code == 0  # names are kept as typed
    assert _users(cli) == {"kim": ["jazz", "music"], "Kimberly": []}
    assert cli("users", "add", "Émile").exit_code == 0
    assert cli("users", "add", "émile").exit_code == 1  # SQLite's lower() folds ASCII letters only (review)
    assert cli("users", "add", "STRASSE").exit_code == 0
    assert cli("users", "add", "straße").exit_code == 1  # casefold: "ß" is "ss"
    assert set(_users(cli)) == {"kim", "Kimberly", "Émile", "STRASSE"}


def test_a_typo_of_a_user_name_is_pointed_to_the_close_one(cli):
    for name in ("omar", "kim"):
        assert cli("users", "add", name).exit_code == 0
    for args, typed, meant in ((("like", "omr", "#122"), "omr", "omar"), (("users", "subscribe", "kimm"), "kimm", "kim"),
                               (("picks", "Omra"), "Omra", "omar")):
        result = cli(*args)
        assert result.exit_code == 1
        assert (f"unknown user '{typed}': did you mean '{meant}'? (paperbot users list shows them)"
                in " ".join(result.output.split()))
    far = cli("picks", "zed")
    assert far.exit_code == 1 and "did you mean" not in far.output and "users add zed" in far.output
    assert set(_users(cli)) == {"omar", "kim"}  # typos create nobody


def test_a_bare_number_is_the_paper_id(cli, sample_digests, tmp_path):
    assert cli("ingest", sample_digests / "000_c6f8620f3de3774f.txt").exit_code == 0
    assert cli("users", "add", "omar", "--interests", "graph neural networks").exit_code == 0
    picks = json.loads(cli("picks", "omar", "-k", "2", "--json").stdout)["picks"]
    liked = cli("like", "omar", str(picks[0]["paper_id"]))
    assert liked.exit_code == 0 and "👍" in liked.stdout, liked.output
    disliked = cli("dislike", "omar", f" {picks[1]['paper_id']} ")
    assert disliked.exit_code == 0 and "👎" in disliked.stdout, disliked.output
    stats = json.loads(cli("stats", "--json").stdout)
    assert (stats["likes"], stats["dislikes"]) == (1, 1)
    bare, hashed = cli("like", "omar", "99999"), cli("like", "omar", "#99999")
    assert bare.exit_code == hashed.exit_code == 1 and bare.output == hashed.output
    assert "no stored paper is #99999" in bare.output.lower()
    (tmp_path / "math.OC.xml").write_text(RSS)
    assert cli("ingest", tmp_path / "math.OC.xml").exit_code == 0
    arxiv = cli("like", "omar", "2402.14001")  # an arXiv id is still one, not paper #2402
    assert arxiv.exit_code == 0 and "Convex Optimization" in arxiv.stdout, arxiv.output
    who = cli("who", str(picks[0]["paper_id"]), "--json")
    assert who.exit_code == 0 and json.loads(who.stdout)["paper"]["paper_id"] == picks[0]["paper_id"]
