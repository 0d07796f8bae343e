"""``paperbot eval`` through the real app: exit statuses, JSON and table output."""

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def write_dataset(root, name="citeulike-a"):
    """12 titles in two topics; three users who each saved all of them (evaluated on any split)."""
    folder = root / name
    folder.mkdir()
    titles = [("graph neural network" if i % 2 else "protein folding energy") + f" w{i}" for i in range(12)]
    (folder / "titles.txt").write_text("\n".join(titles) + "\n")
    (folder / "users.dat").write_text("".join(f"12 {' '.join(map(str, range(12)))}\n" for _ in range(3)))


def test_eval_json_and_table(tmp_path):
    args = ["eval", "--dataset", "citeulike-a", "--data-dir", str(tmp_path)]
    missing = runner.invoke(app, [*args, "--json"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output  # no citeulike-a in the folder yet
    write_dataset(tmp_path)
    res = runner.invoke(app, [*args, "--json", "--methods", "random,rocchio"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["dataset"] == "citeulike-a" and out["n_users"] == 3 and out["split_seed"] == 0
    assert set(out["methods"]) == {"random", "rocchio"}
    assert set(out["methods"]["rocchio"]) >= {"ndcg@10", "recall@10", "recall@50", "seconds"}
    table = runner.invoke(app, [*args, "--users", "2", "--methods", "rocchio"])
    assert table.exit_code == 0 and "rocchio" in table.stdout and "2 users" in table.stdout
    teams = runner.invoke(app, [*args, "--json", "--methods", "paperbot,paperbot-text", "--team-size", "2",
                                "--teams", "random"])
    assert teams.exit_code == 0, teams.output
    out = json.loads(teams.stdout)
    assert out["team_size"] == 2 and out["teams"] == "random" and set(out["methods"]) == {"paperbot", "paperbot-text"}
    gain = out["community_gain"]
    assert gain["mean"] == pytest.approx(out["methods"]["paperbot"]["ndcg@10"] - out["methods"]["paperbot-text"]["ndcg@10"])
    assert gain["ci"][0] <= gain["mean"] <= gain["ci"][1]
    both = runner.invoke(app, [*args, "--methods", "paperbot,paperbot-text"])
    assert both.exit_code == 0 and "the community's gain" in both.stdout
    assert json.loads(runner.invoke(app, [*args, "--json", "--methods", "rocchio"]).stdout)["team_size"] == "all"
    tuned = runner.invoke(app, [*args, "--json", "--methods", "paperbot", "--ranker-param", "community_item_neighbors=none",
                                "--ranker-param", "semantic_weight=0.25"])
    assert tuned.exit_code == 0, tuned.output
    assert json.loads(tuned.stdout)["ranker_params"] == {"community_item_neighbors": None, "semantic_weight": 0.25}


def test_eval_rejects_unknown_names_and_counts(tmp_path):
    unknown = runner.invoke(app, ["eval", "--dataset", "movielens", "--data-dir", str(tmp_path)])
    assert unknown.exit_code == 2 and "citeulike-a" in unknown.output
    assert runner.invoke(app, ["eval", "--dataset", "citeulike-a", "--users", "0"]).exit_code == 2
    for bad in (["--team-size", "0"], ["--team-size", "many"], ["--teams", "friends"],
                ["--ranker-param", "speed=3"], ["--ranker-param", "neighbors"], ["--ranker-param", "neighbors=many"]):
        res = runner.invoke(app, ["eval", "--dataset", "citeulike-a", "--data-dir", str(tmp_path), *bad])
        assert res.exit_code == 2 and "Traceback" not in res.output
