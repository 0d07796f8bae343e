"""Search words the store never saw, respelled as the closest word it did ("quantisation" -> "quantization").

A search for a misspelled or differently spelled word finds nothing in the
full-text index. :func:`respell` replaces each query word the TF-IDF model does
not know by the known word fewest edits away (optimal string alignment distance:
insertions, deletions, substitutions and swaps of two neighbouring letters, as
RapidFuzz computes it, https://rapidfuzz.github.io/RapidFuzz/Usage/distance/OSA.html),
ties going to the word more papers hold, so that search can say what it
searched instead. Plurals count as singulars, as everywhere in search
(:func:`~recommender.text.analyzer.singular`): a word whose plural or singular
a found paper holds, or the model knows, is not respelled ("correction" is no
misspelling of "corrections").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .text.analyzer import AUTHOR_PREFIX, TOKEN_PATTERN, singular

__all__ = ["found_texts", "known_form", "known_words", "max_edits", "missing_words", "respell"]

_MIN_LENGTH = 4  # shorter words have too many neighbours one letter away ("gan", "gnn", "cnn")
_WORD = re.compile(TOKEN_PATTERN)


def max_edits(word: str) -> int:
    """Edits allowed between a typed word and the word put for it: 1 under eight letters, else 2."""
    return 1 if len(word) < 8 else 2


def missing_words(query: str, texts: Iterable[str]) -> set[str]:
    """The words of ``query`` (four letters or more, lower-cased) that none of ``texts`` holds as a word,
    plurals as singulars (a text holding "corrections" holds "correction")."""
    typed = {w for w in _WORD.findall(query.lower()) if len(w) >= _MIN_LENGTH}
    for text in texts:
        held = {singular(w) for w in _WORD.findall(text.lower())}
        typed = {w for w in typed if singular(w) not in held}
        if not typed:
            break
    return typed


def found_texts(found: Iterable) -> Iterator[str]:
    """The words a search result holds, for :func:`missing_words`: its title, abstract and authors
    (a surname that found its papers, "Ross", is no misspelling of "loss")."""
    for paper in found:
        yield " ".join((paper.title, paper.abstract or "", *paper.authors))


def known_words(terms: Iterable[str], author_terms: Iterable[str] = ()) -> frozenset[str]:
    """Every word of a model's word n-grams ``terms``: a word too common to be a feature of its own
    ("neural" in a small store, over ``max_df``) still lives on in its n-grams. With the model's
    ``author_terms`` (``"author:t_ross"``), the surnames (``"ross"``) too."""
    surnames = (term.removeprefix(AUTHOR_PREFIX).rpartition("_")[2] for term in author_terms)
    return frozenset(word for term in terms for word in term.split()) | frozenset(surnames)


def respell(query: str, words: Collection[str], known: Collection[str], document_frequency: Callable[[str], float | None],
            stop_words: frozenset[str]) -> str | None:
    """``query`` with each of ``words`` that the model does not know replaced by the closest known word.

    Parameters
    ----------
    query : str
        As typed.
    words : collection of str
        The lower-cased words of ``query`` that may be replaced (:func:`missing_words`); of them, stop
        words, words under four letters and ``known`` words, or words whose plural or singular is known
        (:func:`known_form`), are kept.
    known : collection of str
        The model's words (:func:`known_words`).
    document_frequency : callable
        Term -> papers that held it when the model was fitted, None for a term that is no feature.
    stop_words : frozenset of str

    Returns
    -------
    str or None
        ``query`` with the replacements made, the rest as typed (``"Difusion modles"`` -> ``"diffusion models"``,
        ``"post-training quantisation"`` -> ``"post-training quantization"``); None when no word changes.
    """
    unknown = {w for w in words if len(w) >= _MIN_LENGTH and w not in stop_words and not known_form(w, known)}
    replaced = {w: _closest(w, known, document_frequency) for w in unknown}
    if not any(replaced.values()):
        return None
    return _WORD.sub(lambda typed: replaced.get(typed.group(0).lower()) or typed.group(0), query)


def known_form(word: str, known: Collection[str]) -> bool:
    """Whether ``known`` holds ``word``, or its plural or singular: a word of the same
    :func:`~recommender.text.analyzer.singular` ("corrections" for "correction", "graph" for "graphs")."""
    one = singular(word)
    return any(form in known and singular(form) == one for form in (word, one, one + "s"))


def _closest(word: str, known: Collection[str], document_frequency: Callable[[str], float | None]) -> str | None:
    """The known word fewest edits from ``word`` (at most :func:`max_edits`), then held by most papers; else None.

    A known word that is no feature of its own was too common to be one: it counts as held by every paper.
    """
    near = process.extract(word, known, scorer=OSA.distance, score_cutoff=max_edits(word), limit=None)
    if not near:
        return None
    return min(near, key=lambda hit: (hit[1], -(document_frequency(hit[0]) or math.inf), hit[0]))[0]
