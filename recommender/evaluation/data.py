"""Load the CiteULike evaluation datasets and make the cold-start split.

Format (see ``../shared/eval/README.md``): ``users.dat`` has one line per
user, ``<count> <paper id> ...`` (0-based ids).  citeulike-a has
``titles.txt`` (line i+1 = paper i).  citeulike-t has only a bag of words,
``mult.dat`` (``<n distinct> word_id:count ...`` per paper) over
``vocabulary.dat``; we rebuild a pseudo-document by repeating each word
``count`` times in file order.  The vectorizer then sees the same term
frequencies as the bag of words; bigrams across such a pseudo-document are
not real phrases, which is why the evaluation uses unigrams for bag-of-words
datasets (every method reads the same pseudo-documents).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..text.tfidf import PaperText

__all__ = ["Dataset", "Split", "load_dataset", "make_split", "default_data_dir", "DATASETS"]

DATASETS = ("citeulike-a", "citeulike-t")


@dataclass
class Dataset:
    """One dataset.

    Attributes
    ----------
    name : str
    papers : list of PaperText, length n_papers
    user_items : csr_matrix, shape (n_users, n_papers), binary
    bag_of_words : bool
        True when the text is a rebuilt pseudo-document (no word order).
    """

    name: str
    papers: list[PaperText]
    user_items: sp.csr_matrix
    bag_of_words: bool


@dataclass
class Split:
    """The cold-start split of :func:`make_split`.

    Attributes
    ----------
    new : ndarray of int, shape (n_new,)
        Paper ids of the new papers, in permutation order (the candidate order).
    history : ndarray of int, shape (n_history,)
    users : ndarray of int, shape (n_eval_users,)
        Evaluated users (>= 5 history papers and >= 1 new paper).
    history_items : csr_matrix, shape (n_users, n_history)
        Every user's history papers (columns follow ``history``).
    relevant : csr_matrix, shape (n_users, n_new)
        New papers in each user's library (columns follow ``new``); only the
        metrics may read it.
    """

    new: np.ndarray
    history: np.ndarray
    users: np.ndarray
    history_items: sp.csr_matrix
    relevant: sp.csr_matrix


def default_data_dir() -> Path:
    """``$PAPERBOT_EVAL_DATA``, else ``$PAPERBOT_SHARED_DIR/eval``, else ``../shared/eval`` beside the repo."""
    env = os.environ.get("PAPERBOT_EVAL_DATA")
    if env:
        return Path(env)
    shared = os.environ.get("PAPERBOT_SHARED_DIR")
    if shared:
        return Path(shared) / "eval"
    return Path(__file__).resolve().parents[3] / "shared" / "eval"


def _read_users(path: Path, n_papers: int) -> sp.csr_matrix:
    rows, cols = [], []
    with open(path) as fh:
        for u, line in enumerate(fh):
            parts = line.split()
            if not parts:
                continue
            ids = [int(x) for x in parts[1:]]
            if len(ids) != int(parts[0]):
                raise ValueError(f"{path}:{u + 1}: count {parts[0]} but {len(ids)} ids")
            rows.extend([u] * len(ids))
            cols.extend(ids)
    n_users = (max(rows) + 1) if rows else 0
    mat = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_users, n_papers))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    return mat


def _read_bag_of_words(folder: Path) -> list[PaperText]:
    vocab = (folder / "vocabulary.dat").read_text().split("\n")
    vocab = [w.strip() for w in vocab]
    papers = []
    with open(folder / "mult.dat") as fh:
        for line in fh:
            parts = line.split()
            words = []
            for item in parts[1:]:
                wid, count = item.split(":")
                words.extend([vocab[int(wid)]] * int(count))
            papers.append(PaperText(" ".join(words)))
    return papers


def load_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load ``name`` from ``data_dir/name``.

    Parameters
    ----------
    name : str
        Folder name, e.g. ``"citeulike-a"``.
    data_dir : path, optional
        Defaults to :func:`default_data_dir`.

    Raises
    ------
    FileNotFoundError
        If the folder has neither ``titles.txt`` nor ``mult.dat``.
    """
    folder = Path(data_dir if data_dir is not None else default_data_dir()) / name
    if (folder / "titles.txt").exists():
        titles = (folder / "titles.txt").read_text(encoding="utf-8").split("\n")
        if titles and titles[-1] == "":
            titles.pop()
        papers = [PaperText(t.strip()) for t in titles]
        bow = False
    elif (folder / "mult.dat").exists():
        papers = _read_bag_of_words(folder)
        bow = True
    elif not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (give --data-dir, or set PAPERBOT_EVAL_DATA or PAPERBOT_SHARED_DIR)")
    else:
        raise FileNotFoundError(f"{folder}: no titles.txt or mult.dat")
    users = _read_users(folder / "users.dat", len(papers))
    return Dataset(name, papers, users, bow)


def make_split(user_items: sp.csr_matrix, seed: int, *, new_share: float = 0.2,
               min_history: int = 5) -> Split:
    """Cold-start split of the README protocol.

    ``perm = default_rng(seed).permutation(n_papers)``; the first
    ``round(new_share * n_papers)`` are new, the rest history.  Users with
    ``>= min_history`` history papers and ``>= 1`` new paper are evaluated.
    """
    n_papers = user_items.shape[1]
    perm = np.random.default_rng(seed).permutation(n_papers)
    n_new = int(round(new_share * n_papers))
    new, history = perm[:n_new], perm[n_new:]
    ui = sp.csc_matrix(user_items)
    hist = sp.csr_matrix(ui[:, history])
    rel = sp.csr_matrix(ui[:, new])
    n_hist = np.diff(hist.indptr)
    n_rel = np.diff(rel.indptr)
    users = np.flatnonzero((n_hist >= min_history) & (n_rel >= 1))
    return Split(new, history, users, hist, rel)
