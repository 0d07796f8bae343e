"""Could a score floor keep off-topic papers out of a digest? The fit of each top-5 pick, on and off topic.

A channel whose topic nothing in the store matches still gets five papers. A floor on the score
(fewer picks, or none, when nothing is close) would need a threshold that separates real matches
from papers that only look close. This measures that on the bundled samples, through the path a
reader's picks take (``Commands.picks``), with the shipped sentence-embedding model:

* on-topic readers: the demo team's three people and channel topic, and six single-topic readers
  whose field the samples cover (diffusion models, reinforcement learning, LLM reasoning, object
  detection, federated learning, knowledge distillation);
* off-topic readers: six topics of other sciences, which the samples (machine-learning papers) do
  not cover.

Each pick's fit is its score against the reader's own profile, without the interest expansion
(:func:`recommender.teammates.member_fits`, the number a mention's threshold reads). For several
floors it prints the share of on-topic picks a floor would drop and of off-topic picks it would keep,
per pick and per digest (no pick at all when the best one fits below the floor).

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/relevance_floor.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bot.commands import Caller, Commands
from bot.demo import load_demo_team
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
from bot.settings import Settings
from recommender.ingest import ingest
from recommender.store import Paper, Store
from recommender.teammates import member_fits

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "digests"
ON_TOPIC = {"diffusion": ["diffusion models"], "rl": ["reinforcement learning"],
            "llm": ["large language models reasoning"], "detection": ["object detection"],
            "federated": ["federated learning"], "distillation": ["knowledge distillation"]}
OFF_TOPIC = {"proteins": ["protein folding"], "history": ["medieval european history"],
             "acoustics": ["ocean acoustics and marine mammals"], "economics": ["macroeconomics and monetary policy"],
             "chemistry": ["organic synthesis of natural products"], "grasping": ["robot grasping"]}
FLOORS = (0.08, 0.10, 0.12, 0.15, 0.18, 0.20)


def readers() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(on-topic readers, off-topic readers): name -> interests; the demo team is on topic."""
    team = load_demo_team()
    on = {u.name: list(u.interests) for u in team.users}
    on.update({f"#{c.name}": [c.topic] for c in team.channels})
    on.update(ON_TOPIC)
    return on, OFF_TOPIC


def pick_fits(cmds: Commands, name: str, interests: list[str]) -> list[tuple[float, str]]:
    """(fit, title) of the reader's top 5 picks."""
    caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, name)
    cmds.interests_add(caller, *interests)
    with cmds.store.session() as session:
        member = cmds.member(session, caller)
        picks = cmds.recommender.picks(session, [member], 5)[0]
        papers = [session.get(Paper, p.paper_id) for p in picks]
        fit = {f.paper_id: f.score for f in member_fits(cmds.recommender, session, papers, [member], min_score=-1.0)}
        return [(fit.get(p.id, float("nan")), p.title) for p in papers]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/papers.db")
        ingest(store, [SAMPLES])
        cmds = Commands(store, Settings(data_dir=tmp))
        if cmds.recommender.embedder is None:
            raise SystemExit("the sentence-embedding model is not installed: this measures the shipped hybrid score")
        on, off = readers()
        found, best = {}, {}
        for label, group in (("on topic", on), ("off topic", off)):
            print(f"== {label}")
            for name, interests in group.items():
                rows = pick_fits(cmds, name, interests)
                found.setdefault(label, []).extend(f for f, _ in rows)
                best.setdefault(label, []).append(max(f for f, _ in rows))
                print(f"{name:>22}  {'; '.join(interests)[:60]}")
                for fit, title in rows:
                    print(f"{'':>24}{fit:.3f}  {title[:80]}")
        store.dispose()
    on_fits, off_fits = np.array(found["on topic"]), np.array(found["off topic"])
    print(f"\non-topic picks: {on_fits.size}, fit {on_fits.min():.3f} to {on_fits.max():.3f} (median {np.median(on_fits):.3f})")
    print(f"off-topic picks: {off_fits.size}, fit {off_fits.min():.3f} to {off_fits.max():.3f} (median {np.median(off_fits):.3f})")
    on_best, off_best = np.array(best["on topic"]), np.array(best["off topic"])
    print("a floor on each pick, and on the digest (no pick when the best one fits below it):")
    print("floor   on-topic picks dropped   off-topic picks kept   on-topic digests dropped   off-topic digests kept")
    for floor in FLOORS:
        print(f"{floor:5.2f}   {np.mean(on_fits < floor):22.0%}   {np.mean(off_fits >= floor):20.0%}"
              f"   {np.mean(on_best < floor):24.0%}   {np.mean(off_best >= floor):22.0%}")


if __name__ == "__main__":
    main()
