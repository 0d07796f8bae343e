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
misspelling of "corrections"). A word of :data:`SHORT_WORD` letters or fewer takes
a stricter cut (:func:`acceptable`): most real short words are one letter from
another ("bread", "break", "broad"), so it is respelled only by a swap of two
neighbouring letters or into a word most papers hold.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from .text.analyzer import AUTHOR_PREFIX, TOKEN_PATTERN, singular, word_forms

if TYPE_CHECKING:
    from .text.frozen import FrozenTfidf

__all__ = ["SHORT_WORD", "SHORT_WORD_SHARE", "acceptable", "found_texts", "known_form", "known_words", "max_edits",
           "missing_words", "model_words", "respell"]

_MIN_LENGTH = 4  # shorter words have too many neighbours one letter away ("gan", "gnn", "cnn")

SHORT_WORD = 5
"""Typed words of at most this many letters are respelled only as :func:`acceptable` allows. Of the 411 real words
of 4 or 5 letters (in CiteULike titles 3 times or more) that the bundled samples' model knows in no form, 163 (40%)
were respelled into another word ("bread" -> "break", "robot" -> "root", "path" -> "math"), 2 of them by a swap of
two neighbouring letters; of 6 or 7 letters, 12%. With the rule, 97% of swaps in known short words are put back
(``benchmarks/respell_rules.py``)."""
SHORT_WORD_SHARE = 0.10
"""A short word is also respelled into a known word held by at least this share of the papers, an everyday word of
the store ("lern" -> "learn", "modl" -> "model"). On the benchmark it leaves 20 of the 411 real words (5%) respelled
and puts back half of the short typos other than swaps when weighted by the papers holding the word meant (44% to
57%; 89% to 99% before), 8% to 11% unweighted."""
_WORD = re.compile(TOKEN_PATTERN)


def max_edits(word: str) -> int:
    """Edits allowed between a typed word and the word put for it: 1 under eight letters, else 2."""
    return 1 if len(word) < 8 else 2


def missing_words(query: str, texts: Iterable[str]) -> set[str]:
    """The words of ``query`` (four letters or more, lower-cased) that none of ``texts`` holds as a word,
    plurals as singulars (a text holding "corrections" holds "correction")."""
    typed = {w for w in _WORD.findall(query.lower()) if len(w) >= _MIN_LENGTH}
    for text in texts:
        held = {form for w in _WORD.findall(text.lower()) for form in word_forms(w)}
        typed = {w for w in typed if not word_forms(w) & held}
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


@functools.lru_cache(maxsize=2)  # the model in use and the one a refit swaps in
def model_words(vectorizer: FrozenTfidf) -> tuple[frozenset[str], Callable[[str], float | None]]:
    """A model's known words (:func:`known_words`, surnames included) and each one's document frequency.

    A word feature's frequency is the model's; a surname that is no word feature is held by the papers of its
    author features (the most of them: ``author:t_ross``, ``author:j_ross``), not by every paper as a word too
    common to be a feature is (a 4-letter surname would otherwise pass :func:`acceptable` for any short word:
    "rose" -> "ross"); None otherwise.
    """
    terms: list[str] = []
    author_terms: list[str] = []
    for name, is_author in zip(vectorizer.feature_names().tolist(), vectorizer.is_author_feature().tolist(), strict=True):
        (author_terms if is_author else terms).append(name)
    held: dict[str, float] = {}
    for term in author_terms:
        surname = term.removeprefix(AUTHOR_PREFIX).rpartition("_")[2]
        held[surname] = max(held.get(surname, 0.0), vectorizer.document_frequency(term) or 0.0)

    def frequency(word: str) -> float | None:
        known = vectorizer.document_frequency(word)
        return held.get(word) if known is None else known

    return known_words(terms, author_terms), frequency


def respell(query: str, words: Collection[str], known: Collection[str], document_frequency: Callable[[str], float | None],
            stop_words: frozenset[str], *, n_papers: int) -> str | None:
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
    n_papers : int
        Papers the model was fitted on (0 when unknown: a short word is then respelled by a swap only).

    Returns
    -------
    str or None
        ``query`` with the replacements made, the rest as typed (``"Difusion modles"`` -> ``"diffusion models"``,
        ``"post-training quantisation"`` -> ``"post-training quantization"``); None when no word changes.
    """
    unknown = {w for w in words if len(w) >= _MIN_LENGTH and w not in stop_words and not known_form(w, known)}
    replaced = {w: _closest(w, known, document_frequency, n_papers) for w in unknown}
    if not any(replaced.values()):
        return None
    return _WORD.sub(lambda typed: replaced.get(typed.group(0).lower()) or typed.group(0), query)


def known_form(word: str, known: Collection[str]) -> bool:
    """Whether ``known`` holds ``word``, or its plural or singular: a word of the same
    :func:`~recommender.text.analyzer.singular` ("corrections" for "correction", "graph" for "graphs")."""
    one = singular(word)
    forms = (word, one, one + "s", *((one[:-1] + "ies",) if one.endswith("y") else ()))
    return any(form in known and word_forms(form) & word_forms(word) for form in forms)


def acceptable(typed: str, known: str, held: float | None, n_papers: int) -> bool:
    """Whether ``known``, a word at most :func:`max_edits` from ``typed``, may be put for it.

    Any such word may for a word over :data:`SHORT_WORD` letters. For a shorter one, only a swap of two
    neighbouring letters ("grpah" -> "graph") or a word ``held`` by at least :data:`SHORT_WORD_SHARE` of the
    ``n_papers`` (``held`` None: too common to be a feature, so held by every paper).
    """
    if len(typed) > SHORT_WORD:
        return True
    swap = len(typed) == len(known) and OSA.distance(typed, known) == 1 and Levenshtein.distance(typed, known) == 2
    return swap or (n_papers > 0 and (held is None or held >= SHORT_WORD_SHARE * n_papers))


def _closest(word: str, known: Collection[str], document_frequency: Callable[[str], float | None],
             n_papers: int) -> str | None:
    """The known word fewest edits from ``word`` (at most :func:`max_edits`, :func:`acceptable`), then held by most
    papers; else None.

    A known word that is no feature of its own was too common to be one: it counts as held by every paper.
    """
    near = [hit for hit in process.extract(word, known, scorer=OSA.distance, score_cutoff=max_edits(word), limit=None)
            if acceptable(word, hit[0], document_frequency(hit[0]), n_papers)]
    if not near:
        return None
    return min(near, key=lambda hit: (hit[1], -(document_frequency(hit[0]) or math.inf), hit[0]))[0]
