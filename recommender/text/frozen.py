"""A fitted TF-IDF model applied with numpy and scipy alone: what a request needs, without importing scikit-learn.

:class:`~recommender.text.tfidf.PaperVectorizer` fits with scikit-learn's
``TfidfVectorizer``; :meth:`~recommender.text.tfidf.PaperVectorizer.frozen`
then keeps only what transforming needs (the vocabulary, the IDF weights, the
analyzer's settings) as a :class:`FrozenTfidf`, which is what the store
persists and every request uses. Importing scikit-learn takes several times as
long as this module and its imports (``benchmarks/tfidf_transform.py``), and a search only
vectorises a query and a few hundred candidates. How a text is read into
n-grams, and the stored state, live in :mod:`recommender.text.analyzer` (pure Python).

The transform is scikit-learn's, step for step, so the rows are equal to its
rows bit for bit (tested against ``TfidfVectorizer.transform``): text
lower-cased, accents stripped (``strip_accents="unicode"``), tokens by the
token pattern, stop words dropped, word n-grams, counts, ``1 + log(tf)``,
times IDF, rows scaled to unit L2 norm with the squares summed in float64.
Source: ``sklearn/feature_extraction/text.py`` (``_word_ngrams``,
``_count_vocab``, ``TfidfTransformer.transform``) and
``sklearn/utils/sparsefuncs_fast.pyx`` (``_inplace_csr_row_normalize_l2``).
"""

from __future__ import annotations

import pickle
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from .analyzer import (
    AUTHOR_PREFIX,
    MARKER,
    OLD_MARKER,
    TOKEN_PATTERN,
    PaperText,
    analyze,
    author_token,
    author_tokens,
    document_frequency,
    paper_words,
    read_state,
)

__all__ = ["AUTHOR_PREFIX", "TOKEN_PATTERN", "FrozenTfidf", "PaperText", "StaleModelError", "TextVectorizer",
           "author_token", "author_tokens", "paper_words", "unit_rows"]


class StaleModelError(ValueError):
    """A persisted model that this version cannot load; the caller refits."""


class TextVectorizer(Protocol):
    """What ranking and search need of a fitted TF-IDF model (:class:`FrozenTfidf` or ``PaperVectorizer``)."""

    @property
    def n_features_(self) -> int: ...

    def transform(self, papers: Sequence[PaperText]) -> sp.csr_matrix: ...

    def transform_text(self, texts: Sequence[str]) -> sp.csr_matrix: ...

    def feature_names(self) -> np.ndarray: ...

    def is_author_feature(self) -> np.ndarray: ...

    def common_words(self, share: float) -> np.ndarray: ...

    def known_share(self, texts: Sequence[str]) -> np.ndarray: ...


def unit_rows(mat: sp.csr_matrix) -> sp.csr_matrix:
    """Rows of ``mat`` scaled to unit L2 norm in place (zero rows stay zero); returns ``mat``.

    ``mat`` is CSR, shape (n_rows, n_cols), float32 or float64. The squares
    are summed in float64 in each row's stored order, as scikit-learn's
    ``normalize(norm="l2")`` does, so the result is the same to the bit.
    """
    data = mat.data
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    sums = np.bincount(rows, weights=(data * data).astype(np.float64), minlength=mat.shape[0])
    norms = np.sqrt(sums)
    norms[norms == 0.0] = 1.0
    mat.data = (data.astype(np.float64) / norms[rows]).astype(data.dtype)
    return mat


class FrozenTfidf:
    """The fitted vocabulary and IDF of a ``PaperVectorizer``, applied without scikit-learn.

    Features are ``[word n-grams | author tokens]``; every row has unit L2 norm,
    so a dot product of two rows is a cosine similarity.

    Parameters
    ----------
    terms : sequence of str, length n_word_features
        Word n-grams in column order.
    idf : ndarray, shape (n_word_features,), float32
    authors : sequence of str, length n_author_features
        Author tokens (``"author:<initial>_<surname>"``) in column order.
    author_idf : ndarray, shape (n_author_features,), float32
    stop_words : iterable of str
        Words dropped before n-grams are formed.
    ngram_range : tuple (min_n, max_n)
    sublinear_tf : bool
        ``1 + log(tf)`` for words.
    author_weight : float
        Norm of the author block relative to the word block before the final L2 normalisation.
    n_papers_fit : int
        Papers the model was fitted on.
    min_fit_papers : int
    refit_growth : float
        The refit policy (:meth:`needs_refit`).

    Attributes
    ----------
    n_features_, n_word_features_, n_papers_fit_ : int
    stop_words : frozenset of str
    """

    def __init__(self, terms: Sequence[str], idf: np.ndarray, authors: Sequence[str], author_idf: np.ndarray, *,
                 stop_words: Iterable[str], ngram_range: tuple[int, int], sublinear_tf: bool, author_weight: float,
                 n_papers_fit: int, min_fit_papers: int, refit_growth: float):
        self.terms, self.authors = list(terms), list(authors)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.author_idf = np.asarray(author_idf, dtype=np.float32)
        self.stop_words = frozenset(stop_words)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.sublinear_tf, self.author_weight = bool(sublinear_tf), float(author_weight)
        self.n_papers_fit_, self.min_fit_papers, self.refit_growth = int(n_papers_fit), int(min_fit_papers), float(refit_growth)
        self._vocabulary = dict(zip(self.terms, range(len(self.terms)), strict=True))
        self._author_vocabulary = dict(zip(self.authors, range(len(self.authors)), strict=True))
        self._names: np.ndarray | None = None
        self._known_words: frozenset[str] | None = None

    @property
    def n_word_features_(self) -> int:
        return len(self.terms)

    @property
    def n_features_(self) -> int:
        return len(self.terms) + len(self.authors)

    # ------------------------------------------------------------ transform
    def analyze(self, text: str) -> list[str]:
        """The word n-grams of ``text`` that the model counts (known or not), in order (:func:`~recommender.text.analyzer.analyze`)."""
        return analyze(text, self.stop_words, self.ngram_range)

    @staticmethod
    def _tfidf(docs: Iterable[list[str]], vocabulary: dict[str, int], idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        get = vocabulary.get
        for doc in docs:
            for feature, n in Counter(doc).items():  # counted in C, then one lookup per distinct feature
                j = get(feature)
                if j is not None:
                    indices.append(j)
                    counts.append(n)
            indptr.append(len(indices))
        mat = sp.csr_matrix((np.asarray(counts, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                             np.asarray(indptr, dtype=np.int32)), shape=(len(indptr) - 1, len(vocabulary)))
        mat.sort_indices()
        if sublinear:
            np.log(mat.data, mat.data)
            mat.data += 1.0
        mat.data *= idf[mat.indices]
        return unit_rows(mat)

    def _join(self, words: sp.csr_matrix, authors: sp.csr_matrix | None) -> sp.csr_matrix:
        if authors is None:
            authors = sp.csr_matrix((words.shape[0], len(self.authors)), dtype=np.float32)
        else:
            authors = authors * np.float32(self.author_weight)
        return unit_rows(sp.hstack([words, authors], format="csr", dtype=np.float32))

    def transform(self, papers: Sequence[PaperText]) -> sp.csr_matrix:
        """TF-IDF rows of ``papers``, shape (len(papers), n_features) CSR float32, unit L2 norm (zero rows when no known feature)."""
        papers = [p if isinstance(p, PaperText) else PaperText(*p) for p in papers]
        words = self._tfidf((self.analyze(paper_words(p)) for p in papers), self._vocabulary, self.idf, self.sublinear_tf)
        authors = None
        if self.authors:
            authors = self._tfidf((author_tokens(p.authors) for p in papers), self._author_vocabulary,
                                  self.author_idf, False)
        return self._join(words, authors)

    def transform_text(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Free text (interests, queries) as rows of shape (len(texts), n_features) CSR float32; the author block is zero.

        Raises
        ------
        TypeError
            If ``texts`` is one bare string rather than a sequence of strings.
        """
        if isinstance(texts, str):
            raise TypeError("transform_text expects a sequence of strings, not one string")
        return self._join(self._tfidf((self.analyze(t) for t in texts), self._vocabulary, self.idf, self.sublinear_tf), None)

    def known_share(self, texts: Sequence[str]) -> np.ndarray:
        """Of each text's words (single words the model reads, stop words out), the share the model knows.

        A declared interest whose rarer words no two papers held when the model was fitted ("seismology and
        earthquake detection" over a first week's papers), or that the ``max_features`` cap left out, keeps
        only its other ones ("detection"); this says how much of it the TF-IDF row stands for. A word is
        known when it is a feature or a word of one: "learning", held by more than ``max_df`` of the papers,
        is no feature alone, but "continual learning" is, and "learning" is no word the model failed to read.

        Returns
        -------
        ndarray, shape (len(texts),), float64 in [0, 1]
            1 for a text with no word at all (nothing of it is missing).
        """
        if self._known_words is None:
            self._known_words = frozenset(word for term in self.terms for word in term.split(" "))
        out = np.ones(len(texts))
        for i, text in enumerate(texts):
            words = set(analyze(text, self.stop_words, (1, 1)))
            if words:
                out[i] = len(words & self._known_words) / len(words)
        return out

    def document_frequency(self, word: str) -> float | None:
        """Papers that held ``word`` (or word n-gram) when the model was fitted
        (:func:`~recommender.text.analyzer.document_frequency`); None when the model does not know it."""
        j = self._vocabulary.get(word)
        return None if j is None else document_frequency(float(self.idf[j]), self.n_papers_fit_)

    def common_words(self, share: float) -> np.ndarray:
        """Word features held by more than ``share`` of the papers fitted on, as feature indices (int64).

        Read back from the smoothed IDF (:func:`~recommender.text.analyzer.document_frequency`); none
        when the model does not know how many papers it was fitted on.
        """
        if self.n_papers_fit_ <= 0:
            return np.zeros(0, dtype=np.int64)
        df = (1 + self.n_papers_fit_) * np.exp(1.0 - self.idf.astype(np.float64)) - 1
        return np.flatnonzero(df > share * self.n_papers_fit_)

    def feature_names(self) -> np.ndarray:
        """Names of the features, shape (n_features,), dtype object: word n-grams, then author tokens. Do not modify."""
        if self._names is None:
            self._names = np.asarray(self.terms + self.authors, dtype=object)
        return self._names

    def is_author_feature(self) -> np.ndarray:
        """Boolean mask, shape (n_features,): True for author features."""
        mask = np.zeros(self.n_features_, dtype=bool)
        mask[len(self.terms):] = True
        return mask

    def needs_refit(self, n_papers_now: int) -> bool:
        """Whether the corpus changed enough to refit (policy: ``PaperVectorizer.needs_refit``).

        Refit when fitted on fewer than ``min_fit_papers`` papers and any paper
        was added, or when the corpus grew by more than ``refit_growth`` since the fit.
        """
        if n_papers_now <= self.n_papers_fit_:
            return False
        if self.n_papers_fit_ < self.min_fit_papers:
            return True
        return n_papers_now > self.n_papers_fit_ * (1.0 + self.refit_growth)

    # ---------------------------------------------------------- persistence
    def to_bytes(self) -> bytes:
        """Plain lists, numbers and float32 bytes pickled (protocol 5), zlib-compressed, behind a marker.

        No class and no numpy array is pickled, so a reader without numpy
        (:func:`~recommender.text.analyzer.read_state`) can load it.
        """
        state = {
            "terms": self.terms, "idf": self.idf.astype("<f4").tobytes(), "authors": self.authors,
            "author_idf": self.author_idf.astype("<f4").tobytes(), "stop_words": sorted(self.stop_words),
            "ngram_range": self.ngram_range, "sublinear_tf": self.sublinear_tf, "author_weight": self.author_weight,
            "n_papers_fit": self.n_papers_fit_, "min_fit_papers": self.min_fit_papers, "refit_growth": self.refit_growth,
        }
        return MARKER + zlib.compress(pickle.dumps(state, protocol=5), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> FrozenTfidf:
        """Load a model written by :meth:`to_bytes`, or by an earlier version (numpy arrays pickled, or a pickled
        ``PaperVectorizer``).

        Only the oldest layout imports scikit-learn. Never refits.

        Raises
        ------
        StaleModelError
            If the bytes were written by a layout this version cannot read: refit.
        TypeError
            If the bytes hold something other than a fitted model.
        """
        state: dict | None
        if data.startswith(MARKER):
            state = read_state(data)
            assert state is not None
            idf, author_idf = np.frombuffer(state["idf"], dtype="<f4"), np.frombuffer(state["author_idf"], dtype="<f4")
        elif data.startswith(OLD_MARKER):
            state = pickle.loads(zlib.decompress(data[len(OLD_MARKER):]))
            if not isinstance(state, dict) or "terms" not in state:
                raise TypeError(f"expected a serialised {cls.__name__}, got {type(state).__name__}")
            idf, author_idf = state["idf"], state["author_idf"]
        else:
            from .tfidf import PaperVectorizer

            return PaperVectorizer.from_bytes(data).frozen()
        return cls(state["terms"], idf, state["authors"], author_idf,
                   stop_words=state["stop_words"], ngram_range=state["ngram_range"], sublinear_tf=state["sublinear_tf"],
                   author_weight=state["author_weight"], n_papers_fit=state["n_papers_fit"],
                   min_fit_papers=state["min_fit_papers"], refit_growth=state["refit_growth"])
