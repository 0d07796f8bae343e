"""Local user names and paper references as people type them on the command line (a user trial)."""

import json


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

