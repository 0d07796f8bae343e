"""How the TF-IDF model reads a paper, in pure Python: word tokens, n-grams, author tokens, the stored model's state.

Shared by :class:`~recommender.text.frozen.FrozenTfidf` (numpy and scipy, what
requests rank with) and :mod:`recommender.lexical_search` (neither: a one-shot
``paperbot search`` that would otherwise spend a third of its second importing
them). The analysis is scikit-learn's ``TfidfVectorizer`` analyzer step for
step (``sklearn/feature_extraction/text.py``: ``strip_accents_unicode``,
``_word_ngrams``): lower-cased, accents stripped, tokens by
:data:`TOKEN_PATTERN`, stop words dropped, word n-grams.
"""

from __future__ import annotations

import math
import pickle
import re
import sys
import unicodedata
import zlib
from array import array
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["AUTHOR_PREFIX", "MARKER", "OLD_MARKER", "TOKEN_PATTERN", "PaperText", "analyze", "author_token",
           "NAME_SUFFIXES", "author_tokens", "document_frequency", "floats", "paper_words", "read_state", "singular", "word_forms"]

TOKEN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"
"""Word tokens: two or more letters, digits or underscores, starting with a letter or underscore."""
#: Prefix that marks author features in :meth:`FrozenTfidf.feature_names`.
AUTHOR_PREFIX = "author:"

MARKER = b"paperbot-tfidf frozen2\n"
"""Leading bytes of a stored model: its state pickled with plain Python values only (IDF as float32 bytes)."""
OLD_MARKER = b"paperbot-tfidf frozen1\n"
"""Leading bytes of the previous layout, whose IDF arrays were pickled numpy arrays (still read by ``FrozenTfidf``)."""

_TOKENS = re.compile(TOKEN_PATTERN)


class PaperText(NamedTuple):
    """The text of one paper that the vectorizer reads.

    Attributes
    ----------
    title : str
    abstract : str, default ""
    authors : tuple of str, default ()
        Full names; each becomes one author token (see :func:`author_token`).
    """

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()


def author_token(name: str) -> str:
    """Normalise an author name to one token: ``"author:<initial>_<surname>"``.

    ``"Geoffrey E. Hinton"`` and ``"G. Hinton"`` both give ``"author:g_hinton"``;
    accents and case are dropped, and a suffix after the surname (``"John Smith Jr."``).  An empty name gives ``""``.
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z]+", plain)
    if not parts:
        return ""
    while len(parts) > 2 and parts[-1] in NAME_SUFFIXES:  # "John Smith Jr." is j_smith
        parts.pop()
    if len(parts) == 1:
        return AUTHOR_PREFIX + parts[0]
    return f"{AUTHOR_PREFIX}{parts[0][0]}_{parts[-1]}"


#: Words after a surname that are no part of it (``John Smith Jr.``, ``Jane Jones III``), lower-cased.
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def author_tokens(authors: Sequence[str]) -> list[str]:
    """The author tokens of a paper's author names, empty ones dropped (the author block's analyzer)."""
    return [t for t in (author_token(a) for a in authors) if t]


def paper_words(paper: PaperText) -> str:
    """The word text of a paper: its title, then its abstract on the next line."""
    return f"{paper.title}\n{paper.abstract}" if paper.abstract else paper.title


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def analyze(text: str, stop_words: frozenset[str], ngram_range: tuple[int, int]) -> list[str]:
    """The word n-grams of ``text`` that a model counts (known to its vocabulary or not), in order.

    Parameters
    ----------
    text : str
    stop_words : frozenset of str
        Words dropped before n-grams are formed.
    ngram_range : tuple (min_n, max_n)
    """
    tokens = [t for t in _TOKENS.findall(_strip_accents(text.lower())) if t not in stop_words]
    low, high = ngram_range
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def singular(term: str) -> str:
    """``term`` with each word's plural ``s`` dropped ("graph neural networks" reads "graph neural network").

    A word of four letters or more ending in one ``s`` (not ``ss``): a rule, not a stemmer, so that a
    reader of "knowledge graphs" is told a paper "matches graph", and "class" or "loss" stay whole.
    """
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in term.split())


def word_forms(word: str) -> frozenset[str]:
    """The keys under which ``word`` and its inflections meet: its :func:`singular`; for a word ending in ``ies``
    the ``y`` form ("quantities" meets "quantity", "movies" still meets "movie"); and the stem left by an
    ``ed`` or ``ing`` ending, with or without an ``e`` and a doubled consonant ("trained" and "training" meet
    "train", "encoding" and "used" meet "encode" and "use", "modelling" meets "model"). Inflections only, no
    derivations: "transformations" does not meet "transformer", nor "position" "positive", as a stemmer's
    keys would (Porter's "transform", "posit").

    Compare two words by whether their forms share a key; a form is never shown.
    """
    forms = {singular(word)}
    if len(word) > 4 and word.endswith("ies"):
        forms.add(word[:-3] + "y")
    for ending in ("ing", "ed"):
        stem = word[: -len(ending)]
        if word.endswith(ending) and not word.endswith("eed") and len(stem) >= 2 and any(c in "aeiouy" for c in stem):
            forms.add(stem + "e")  # "encoding", "used": "encode", "use"
            if len(stem) >= 3:
                forms.add(stem)  # "trained": "train"
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiou":
                forms.add(stem[:-1])  # "stopped", "modelling": "stop", "model"
    return frozenset(forms)


def floats(data: bytes) -> array:
    """Little-endian float32 ``data`` (a stored model's IDF) as an ``array('f')``."""
    out = array("f")
    out.frombytes(data)
    if sys.byteorder == "big":
        out.byteswap()
    return out


def document_frequency(idf: float, n_papers_fit: int) -> float:
    """Papers that held a term when the model was fitted, read back from its smoothed IDF.

    scikit-learn's ``TfidfVectorizer(smooth_idf=True)``: ``idf = ln((1 + n) / (1 + df)) + 1``.
    """
    return (1 + n_papers_fit) * math.exp(1.0 - idf) - 1


def read_state(data: bytes) -> dict | None:
    """The state a stored model was written with, without numpy: None for any layout but :data:`MARKER`'s.

    Returns
    -------
    dict or None
        ``terms`` and ``authors`` (lists of str), ``idf`` and ``author_idf``
        (little-endian float32 bytes), ``stop_words``, ``ngram_range``,
        ``sublinear_tf``, ``author_weight``, ``n_papers_fit``,
        ``min_fit_papers``, ``refit_growth``.

    Raises
    ------
    TypeError
        If the bytes carry the marker but hold something other than a model's state.
    """
    if not data.startswith(MARKER):
        return None
    state = pickle.loads(zlib.decompress(data[len(MARKER):]))
    if not isinstance(state, dict) or "terms" not in state:
        raise TypeError(f"expected a serialised TF-IDF model, got {type(state).__name__}")
    return state
