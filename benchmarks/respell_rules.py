"""Which respellings of short words to offer: real words the store lacks against typos of words it holds.

``recommender.spelling`` puts a search word no stored paper holds as the known word fewest edits away.
A real word the store does not hold ("bread" in a machine-learning store) gets a wrong "did you mean"
("break"), or, when the search found nothing, the results of that word instead; a typo gets the word meant.
This script measures both on the bundled sample digests' model, through ``spelling.respell``::

    PYTHONPATH=. .venv/bin/python benchmarks/respell_rules.py

* false offers: words of CiteULike titles (``citeulike-a/titles.txt``, ``$PAPERBOT_EVAL_DATA`` or
  ``../shared/eval``; used 3 times or more, 4 letters or more, no stop word) that the samples' model does not
  know in any form (``spelling.known_form``): real words; any respelling of one is wrong;
* typos: each word the model knows (letters only, 4 or more) with one swap of two neighbouring letters, one
  substitution, one deletion and one insertion at seeded random places (a typo that is itself a known form is
  dropped): the share put back as the word meant ("right"), and put as another word ("wrong"), plain and
  weighted by the papers holding the word meant (as if a word were searched as often as papers hold it).

Per length of the typed word (4-5, 6-7, 8+ letters) and rule: ``before`` (no stricter cut for short words),
``swap only`` (a short word respelled by a swap, or into a word too common to be a feature of the model),
and a swap or a word held by at least 5%, 10% (shipped, ``spelling.SHORT_WORD_SHARE``) or 20% of the papers.
Results: ``results/respell_rules.txt``.
"""

from __future__ import annotations

import random
import re
import tempfile
from collections import Counter
from pathlib import Path

from bot.commands import Caller, Commands
from bot.demo import SAMPLE_DIGESTS
from bot.settings import Settings
from recommender import spelling
from recommender.evaluation.data import default_data_dir
from recommender.ingest import ingest
from recommender.store import Store

KINDS = ("swap", "subst", "delete", "insert")
BANDS = ("4-5", "6-7", "8+")
SHIPPED = (spelling.SHORT_WORD, spelling.SHORT_WORD_SHARE)
RULES = {"before": (0, 0.0), "swap only": (spelling.SHORT_WORD, float("inf")),  # or a word too common to be a feature "swap or 5%": (spelling.SHORT_WORD, 0.05),
         "swap or 10%": (spelling.SHORT_WORD, 0.10), "swap or 20%": (spelling.SHORT_WORD, 0.20)}


def band(word: str) -> str:
    return "4-5" if len(word) <= 5 else "6-7" if len(word) <= 7 else "8+"


def typos(word: str, rng: random.Random) -> dict[str, str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    i, j, k, m = rng.randrange(len(word) - 1), rng.randrange(len(word)), rng.randrange(len(word)), rng.randrange(len(word) + 1)
    return {"swap": word[:i] + word[i + 1] + word[i] + word[i + 2:],
            "subst": word[:j] + rng.choice(letters.replace(word[j], "")) + word[j + 1:],
            "delete": word[:k] + word[k + 1:],
            "insert": word[:m] + rng.choice(letters) + word[m:]}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'paperbot.db'}")
        ingest(store, [SAMPLE_DIGESTS])
        cmds = Commands(store, Settings(data_dir=tmp))
        cmds.search(Caller("cli", "bench", "nobody"), "graph")  # fits the model
        with store.session() as s:
            vec = cmds.recommender.vectors.few_rows(s, [])[0]
        store.dispose()
    names, authors = vec.feature_names(), vec.is_author_feature()
    known = spelling.known_words(names[~authors], names[authors])
    stop, n, df = vec.stop_words, vec.n_papers_fit_, vec.document_frequency
    titles = (default_data_dir() / "citeulike-a" / "titles.txt").read_text().lower()
    used = Counter(re.findall(r"[a-z]+", titles))
    real = sorted(w for w, c in used.items() if c >= 3 and len(w) >= 4 and w not in stop and not spelling.known_form(w, known))
    rng = random.Random(0)
    meant = sorted(w for w in known if w.isalpha() and len(w) >= 4 and w not in stop)
    typed = [(w, kind, t) for w in meant for kind, t in typos(w, rng).items()
             if len(t) >= 4 and not spelling.known_form(t, known)]
    print(f"samples' model: {n} papers, {len(known)} known words; {len(real)} real words it lacks, "
          f"{len(typed)} typos of {len(meant)} words")

    def respelled(word: str) -> str | None:
        return spelling.respell(word, {word}, known, df, stop, n_papers=n)

    for name, (short, share) in RULES.items():
        spelling.SHORT_WORD, spelling.SHORT_WORD_SHARE = short, share
        offers, total = Counter(), Counter()
        for w in real:
            total[band(w)] += 1
            offers[band(w)] += respelled(w) is not None
        right, wrong, count, w_right, w_count = Counter(), Counter(), Counter(), Counter(), Counter()
        for w, kind, t in typed:
            got, key, weight = respelled(t), (band(t), kind), df(w) or n
            count[key] += 1
            w_count[key] += weight
            right[key] += got == w
            w_right[key] += weight * (got == w)
            wrong[key] += got is not None and got != w
        shipped = " (shipped)" if (short, share) == SHIPPED else ""
        print(f"\n== {name}{shipped}")
        print("  false offers: " + ", ".join(f"{b} letters {offers[b]}/{total[b]} ({offers[b] / total[b]:.0%})" for b in BANDS))
        for b in BANDS:
            print(f"  typos of {b} letters: " + "; ".join(
                f"{k} {right[b, k] / count[b, k]:.0%} right, {wrong[b, k] / count[b, k]:.0%} wrong, "
                f"{w_right[b, k] / w_count[b, k]:.0%} weighted (n={count[b, k]})" for k in KINDS))
        if shipped:
            print("  short words still respelled: " + ", ".join(
                f"{w} -> {respelled(w)}" for w in real if len(w) <= 5 and respelled(w)))
    spelling.SHORT_WORD, spelling.SHORT_WORD_SHARE = SHIPPED
    print("\nplural or singular of a known word, no respelling (spelling.known_form): "
          + ", ".join(f"{w} -> {respelled(w)}" for w in ("correction", "vits", "gpts", "moes")))


if __name__ == "__main__":
    main()
