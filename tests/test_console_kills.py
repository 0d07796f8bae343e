"""Real ``paperbot run --once`` processes on the console, SIGKILLed at random moments and restarted
(benchmarks/console_kills.py, bounded: 6 channels, 2 kills; the benchmark's 200 channels and 10 kills take minutes): every channel's digest printed exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "console_kills.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("console_kills", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_console_digests_are_printed_once_through_sigkills_and_restarts(db_url, tmp_path):
    console_kills = load_benchmark()
    trials = console_kills.run_trials(tmp_path, channels=6, kills=2, max_lines=30, seed=7, database_url=db_url)
    assert [end for end, _, _ in trials.runs] == ["killed"] * 2 + ["exited"]
    assert trials.problems() == []
    assert len(trials.sizes) == 6 and sum(trials.headers.values()) == 6
    assert all(size == 5 for size in trials.sizes.values())


def test_the_read_back_sees_a_double_header_and_a_lost_paper():
    """The check itself can fail: a digest printed twice, a paper never printed."""
    console_kills = load_benchmark()
    trials = console_kills.Trials(sizes={"c000": 2}, statuses={"posted": 1})
    console_kills.read_back(trials, ["── Papers for #c000, Wed 02 Dec 2026  (#c000) ──", "1. A", "   why: x"])
    console_kills.read_back(trials, ["── Papers for #c000, Wed 02 Dec 2026  (#c000) ──", "1. A"])
    assert trials.problems() == ["c000: header printed 2 times", "c000: papers printed {1: 2}, expected 1..2 once"]
    resumed = console_kills.Trials(sizes={"c000": 2}, statuses={"posted": 1})
    console_kills.read_back(resumed, ["── Papers for #c000, Wed 02 Dec 2026  (#c000) ──", "1. A"])
    console_kills.read_back(resumed, ["── Papers for #c000, Wed 02 Dec 2026 (continued)  (#c000) ──", "2. B"])
    assert resumed.problems() == []
