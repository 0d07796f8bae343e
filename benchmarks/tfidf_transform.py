"""FrozenTfidf against scikit-learn's TfidfVectorizer: import time, transform speed, equal rows.

    PYTHONPATH=. python benchmarks/tfidf_transform.py [--dataset citeulike-a] [--repeat 3]

Fits paperbot's vectorizer on a dataset's papers (``../shared/eval``, or
``PAPERBOT_EVAL_DATA``), then times, in the same run:

* importing what each side needs in a fresh process (``recommender.text.frozen``
  against ``sklearn.feature_extraction.text``), median of ``--repeat``;
* transforming every paper, and 200 papers (a search's candidates), with
  :class:`~recommender.text.frozen.FrozenTfidf` against scikit-learn's own
  ``TfidfVectorizer.transform`` of both blocks joined and normalised as before;
* and checks that the rows are equal to the bit.

Prints each figure with the ratio scikit-learn / ours.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def import_seconds(module: str, repeat: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 cwd=REPO).stdout) for _ in range(repeat)]
    return statistics.median(runs)


def sklearn_rows(vec, papers):
    import numpy as np
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    words = vec.words_.transform([f"{p.title}\n{p.abstract}" if p.abstract else p.title for p in papers])
    if vec.authors_ is None:
        authors = sp.csr_matrix((len(papers), vec.n_features_ - words.shape[1]), dtype=np.float32)
    else:
        authors = vec.authors_.transform([p.authors for p in papers]) * np.float32(vec.author_weight)
    return normalize(sp.hstack([words, authors], format="csr", dtype=np.float32))


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="citeulike-a")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from recommender.evaluation.data import load_dataset
    from recommender.evaluation.run import paperbot_vectorizer

    ds = load_dataset(args.dataset, None)
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    frozen = vec.frozen()
    print(f"{args.dataset}: {len(ds.papers)} papers, {vec.n_features_} features")
    rows = [("import, s", import_seconds("sklearn.feature_extraction.text", args.repeat),
             import_seconds("recommender.text.frozen", args.repeat))]
    for label, papers in (("transform every paper, s", ds.papers), ("transform 200 papers, ms", ds.papers[:200])):
        theirs_s, theirs = timed(lambda p=papers: sklearn_rows(vec, p), args.repeat)
        ours_s, ours = timed(lambda p=papers: frozen.transform(p), args.repeat)
        assert (ours != theirs).nnz == 0, "rows differ from scikit-learn's"
        scale = 1000 if "ms" in label else 1
        rows.append((label, theirs_s * scale, ours_s * scale))
    print(f"{'measure':32} {'scikit-learn':>12} {'ours':>10} {'ratio':>7}")
    for label, theirs_v, ours_v in rows:
        print(f"{label:32} {theirs_v:12.3f} {ours_v:10.3f} {theirs_v / ours_v:7.2f}")
    print("rows equal to the bit: yes")


if __name__ == "__main__":
    main()
