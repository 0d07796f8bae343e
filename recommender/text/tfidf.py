"""TF-IDF vectorizer for papers: title + abstract words, authors as their own tokens.

Fitting is scikit-learn's ``TfidfVectorizer``; the fitted vocabulary and IDF
are then kept as a :class:`~recommender.text.frozen.FrozenTfidf`
(:meth:`PaperVectorizer.frozen`), which transforms without scikit-learn and is
what the store persists; loading never refits.  Words and authors live in two blocks of
one feature space: ``[word features | author features]``; each row is scaled
so the whole vector has unit L2 norm, so a dot product is a cosine similarity.

Sources: TF-IDF as in scikit-learn's ``TfidfVectorizer`` (Salton & Buckley
1988 weighting, sublinear tf); the defaults follow arxiv-sanity-lite
(https://github.com/karpathy/arxiv-sanity-lite, ``compute.py``) except where
noted.
"""

from __future__ import annotations

import io
import pickle
import zlib
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .frozen import (
    AUTHOR_PREFIX,
    TOKEN_PATTERN,
    FrozenTfidf,
    PaperText,
    StaleModelError,
    author_token,
    author_tokens,
    paper_words,
)

__all__ = ["PaperText", "PaperVectorizer", "StaleModelError", "AUTHOR_PREFIX", "author_token"]


_PICKLED = b"paperbot-tfidf pickle5+zlib\n"
"""Leading bytes of :meth:`PaperVectorizer.to_bytes` output (older models are joblib bytes)."""

def _author_tokens(authors: Sequence[str]) -> list[str]:
    # the name models pickled by earlier versions refer to
    return author_tokens(authors)


class PaperVectorizer(BaseEstimator, TransformerMixin):
    """TF-IDF over title + abstract, with authors as separate tokens.

    Parameters
    ----------
    ngram_range : tuple (min_n, max_n), default (1, 2)
        Word n-grams; bigrams ("neural network") help on real abstracts.
    min_df : int or float, default 2
        Drop words in fewer documents (typos, ids).  Lowered automatically
        to 1 when fitting on fewer than 20 papers so tiny corpora still work.
    max_df : float, default 0.5
        Drop words in more than this share of documents (corpus stop words).
    max_features : int or None, default 200_000
    sublinear_tf : bool, default True
        ``1 + log(tf)``; keeps long abstracts from being dominated by a few
        repeated words.
    author_weight : float, default 0.5
        Norm of the author block relative to the word block before the final
        L2 normalisation (0 removes authors).  Authors seen in fewer than
        ``min_df`` papers get no feature.
    refit_growth : float, default 0.5
        :meth:`needs_refit` policy: refit once the corpus has grown by more
        than this fraction since the fit.
    min_fit_papers : int, default 200
        :meth:`needs_refit` policy: while the model was fitted on fewer papers
        than this, refit whenever any paper has been added.

    Attributes
    ----------
    words_ : TfidfVectorizer
    authors_ : TfidfVectorizer or None
    n_papers_fit_ : int
        Number of papers seen by :meth:`fit`.
    n_word_features_ : int
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | float = 2,
        max_df: float = 0.5,
        max_features: int | None = 200_000,
        sublinear_tf: bool = True,
        stop_words: str | None = "english",
        author_weight: float = 0.5,
        refit_growth: float = 0.5,
        min_fit_papers: int = 200,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.stop_words = stop_words
        self.author_weight = author_weight
        self.refit_growth = refit_growth
        self.min_fit_papers = min_fit_papers

    # ------------------------------------------------------------------ fit
    def fit(self, papers: Sequence[PaperText], y=None) -> PaperVectorizer:
        """Learn vocabulary and IDF from ``papers``.

        Parameters
        ----------
        papers : sequence of PaperText, length n_papers
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If ``papers`` is empty or contains no usable word.
        """
        papers = [p if isinstance(p, PaperText) else PaperText(*p) for p in papers]
        self.__dict__.pop("_frozen", None)
        if not papers:
            raise ValueError("cannot fit PaperVectorizer on zero papers")
        small = len(papers) < 20
        min_df = 1 if small else self.min_df
        max_df = 1.0 if small else self.max_df
        self.words_ = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            stop_words=self.stop_words,
            token_pattern=TOKEN_PATTERN,
            ngram_range=tuple(self.ngram_range),
            min_df=min_df,
            max_df=max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            norm="l2",
            dtype=np.float32,
        )
        self.words_.fit([paper_words(p) for p in papers])
        self.n_word_features_ = len(self.words_.vocabulary_)
        self.authors_ = None
        if self.author_weight > 0 and any(p.authors for p in papers):
            authors = TfidfVectorizer(
                analyzer=author_tokens, min_df=min_df, norm="l2", dtype=np.float32
            )
            try:
                authors.fit([p.authors for p in papers])
                self.authors_ = authors
            except ValueError:  # no author reaches min_df
                self.authors_ = None
        self.n_papers_fit_ = len(papers)
        return self

    # ------------------------------------------------------------ transform
    def frozen(self) -> FrozenTfidf:
        """The fitted vocabulary and IDF as a :class:`~recommender.text.frozen.FrozenTfidf`: what the store persists.

        Built once and kept (not pickled with this object).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If called before :meth:`fit`.
        """
        check_is_fitted(self, "words_")
        cached = self.__dict__.get("_frozen")
        if cached is not None:
            return cached
        words, authors = self.words_, self.authors_
        terms = [""] * len(words.vocabulary_)
        for term, j in words.vocabulary_.items():
            terms[j] = term
        author_names = [""] * (len(authors.vocabulary_) if authors is not None else 0)
        for name, j in (authors.vocabulary_.items() if authors is not None else ()):
            author_names[j] = name
        frozen = FrozenTfidf(
            terms, words.idf_, author_names, authors.idf_ if authors is not None else np.zeros(0, np.float32),
            stop_words=words.get_stop_words() or (), ngram_range=words.ngram_range, sublinear_tf=words.sublinear_tf,
            author_weight=self.author_weight, n_papers_fit=getattr(self, "n_papers_fit_", 0),
            min_fit_papers=self.min_fit_papers, refit_growth=self.refit_growth,
        )
        self.__dict__["_frozen"] = frozen
        return frozen

    @property
    def n_features_(self) -> int:
        return self.frozen().n_features_

    def transform(self, papers: Sequence[PaperText]) -> sp.csr_matrix:
        """Vectorise papers (:meth:`FrozenTfidf.transform <recommender.text.frozen.FrozenTfidf.transform>`).

        Parameters
        ----------
        papers : sequence of PaperText, length n_papers

        Returns
        -------
        scipy.sparse.csr_matrix, shape (n_papers, n_features), float32
            Rows L2-normalised (all-zero rows for papers with no known word).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If called before :meth:`fit`.
        """
        return self.frozen().transform(papers)

    def transform_text(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Vectorise free text (declared interests, search queries), one row per string.

        The result is a ``scipy.sparse.csr_matrix``, shape (n_texts, n_features),
        float32, in the same space as :meth:`transform`; its author block is zero.

        Raises
        ------
        TypeError
            If ``texts`` is one bare string rather than a sequence of strings.
        sklearn.exceptions.NotFittedError
            If called before :meth:`fit`.
        """
        return self.frozen().transform_text(texts)

    def feature_names(self) -> np.ndarray:
        """Names of the features, shape (n_features,), dtype object: word n-grams, then author tokens."""
        return self.frozen().feature_names()

    def known_share(self, texts: Sequence[str]) -> np.ndarray:
        """Share of each text's words the model knows (a feature, or a word of one), shape (len(texts),)
        (:meth:`FrozenTfidf.known_share <recommender.text.frozen.FrozenTfidf.known_share>`)."""
        return self.frozen().known_share(texts)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_feature_names", None)  # derived (written by earlier versions)
        state.pop("_frozen", None)  # derived: rebuilt on first use after loading
        return state

    def is_author_feature(self) -> np.ndarray:
        """Boolean mask, shape (n_features,): True for author features."""
        return self.frozen().is_author_feature()

    def common_words(self, share: float) -> np.ndarray:
        """Word features held by more than ``share`` of the papers fitted on (:meth:`FrozenTfidf.common_words
        <recommender.text.frozen.FrozenTfidf.common_words>`)."""
        return self.frozen().common_words(share)

    # ---------------------------------------------------------- persistence
    def to_bytes(self) -> bytes:
        """Serialise the fitted model: pickle protocol 5, zlib-compressed, behind a marker.

        Plain pickle loads with the C unpickler: about 10 times faster than
        joblib's (pure Python) for a 200,000-word vocabulary, which is most of
        the first search after a start.
        """
        check_is_fitted(self, "words_")
        return _PICKLED + zlib.compress(pickle.dumps(self, protocol=5), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> PaperVectorizer:
        """Load a model written by :meth:`to_bytes`; never refits.

        Raises
        ------
        TypeError
            If the bytes hold something other than a fitted PaperVectorizer.
        StaleModelError
            If the bytes name a module or class that no longer exists (a
            model written before ``recommender/model.py`` moved here): refit.
        """
        try:
            if data.startswith(_PICKLED):
                obj = pickle.loads(zlib.decompress(data[len(_PICKLED):]))
            else:  # written by an earlier version
                import joblib

                obj = joblib.load(io.BytesIO(data))
        except (ModuleNotFoundError, AttributeError) as exc:
            raise StaleModelError(f"stored model was written by an older paperbot layout: {exc}") from exc
        if not isinstance(obj, cls):
            raise TypeError(f"expected a serialised {cls.__name__}, got {type(obj).__name__}")
        check_is_fitted(obj, "words_")
        return obj

    # --------------------------------------------------------- refit policy
    def needs_refit(self, n_papers_now: int) -> bool:
        """Whether the corpus changed enough that the model should be refitted.

        Policy: refit when never fitted; when fitted on fewer than
        ``min_fit_papers`` papers and any paper was added (IDF from a handful
        of papers is noise, and refitting small corpora is cheap); or when the
        corpus grew by more than ``refit_growth`` (default 50 %) since the fit.
        Between refits, new papers are still vectorised with the old
        vocabulary: IDF of common words is stable under moderate growth, and
        only genuinely new terms are missed.  A refit changes the feature
        space, so every stored vector must be recomputed afterwards.

        Parameters
        ----------
        n_papers_now : int
            Papers in the store now.
        """
        if getattr(self, "n_papers_fit_", None) is None:
            return True
        return self.frozen().needs_refit(n_papers_now)
