"""The one line under every pick and fit saying why: the terms that weighed most, and the liked paper it is closest to.

The terms and the liked paper come from :mod:`recommender.ranking.explain`;
this module only words them, for picks (:mod:`recommender.picks`) and fits
(:mod:`recommender.teammates`) alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from recommender.ranking import Target
from recommender.reason_terms import distinct_terms, interest_phrases, lone_words, own_words, said_terms
from recommender.search import Hit
from recommender.text.analyzer import AUTHOR_PREFIX, author_token
from recommender.text.analyzer import singular as _singular
from recommender.text.frozen import TextVectorizer

__all__ = [
    "CHANNEL", "MAX_READ_SHARE", "MIN_READ_LIKES", "TITLE_FILLER_WORDS", "distinct_terms", "nameable_terms", "nearest_interest_words",
    "paper_reason", "pick_reason", "profile_basis", "profile_words", "ReaderWords", "reader_words", "same_person",
    "reason_words", "search_lead",
]

#: The ``owner`` of :func:`profile_words` for a channel.
CHANNEL = "the channel's"


def profile_basis(target: Target) -> str | None:
    """What ``target``'s profile is made of, as a key: ``"interests"`` (declared interests, a channel's
    topic), ``"likes"`` (👍), ``"interests+likes"``; None when it has neither.

    👎 alone make no profile (the ranker then orders papers newest first), so they give None.
    """
    parts = [name for name, present in (("interests", bool(target.interests_text.strip())),
                                        ("likes", bool(target.liked.shape[0]))) if present]
    return "+".join(parts) or None


def profile_words(target: Target, *, owner: str = "your") -> str | None:
    """What ``target``'s profile is made of, as a reason says it ("your interests and 👍"); None when it has none.

    ``owner`` is whose it is for the reader: ``"your"`` in one's own picks, ``"their"`` when
    another member's fit is shown, ``"the channel's"`` for a channel (whose interests are its topic).
    👎 alone make no profile (:func:`profile_basis`), so they give None.
    """
    basis = (profile_basis(target) or "").split("+")
    parts = []
    if "interests" in basis:
        parts.append(f"{owner} {'topic' if owner == CHANNEL else 'interests'}")
    if "likes" in basis:
        parts.append("👍" if parts else f"{owner} 👍")
    return " and ".join(parts) or None


def nearest_interest_words(profile: str | None, interest: str | None) -> str | None:
    """:func:`profile_words` naming ``interest``, the declared interest a pick is nearest in meaning
    (:attr:`~recommender.ranking.explain.ScoredRow.interest`), for a profile of interests alone.

    "your interests" becomes "your interest “seismology and earthquake detection”" (a channel's "topic" too): a
    reader of two fields is told which of them a pick sharing no word with them is close to. A profile holding 👍
    is left as it is: the pick may be close to the 👍, not to that interest. Control characters (in an interest
    stored before they were turned into spaces) are said as spaces.
    """
    if profile is None or interest is None or "👍" in profile:
        return profile
    said = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in interest).split())
    return f"{profile.removesuffix('interests')}{'interest' if profile.endswith('interests') else ''} “{said}”"


#: A word the reader's 👍 share with a pick is named only when at most this share of the papers the TF-IDF
#: model was fitted on hold it. On the bundled samples (title and abstract) the words a reason should not
#: name are in 22% to 44% of papers ("existing" 0.22, "high" 0.27, "paper" 0.28, "results" 0.39, "based"
#: 0.44; "learning", in more than half, is no feature at all) and topics in 2% to 7% ("graph", "diffusion",
#: "quantization" 0.06): ``benchmarks/reason_thresholds.py``, item 6.
MAX_READ_SHARE = 0.15


#: A word of liked abstracts (not of a liked title) is named only when this many 👍 or more hold it. Two named
#: everyday words in a trial: "especially" and "achieved" for a reader of two quantization papers, "open" for a
#: reader whose two liked abstracts spoke of open problems and open-sourced code.
MIN_READ_LIKES = 3


#: Words of a title that say what kind of paper it is or how good it claims to be, not what it is about. A reason
#: taken from a liked title does not name them. On the bundled samples, after a 👍 on "Zero-shot and Few-shot
#: Learning with Knowledge Graphs: A Comprehensive Survey", the zero-shot reader's first pick (an active-learning
#: survey, close to it in meaning) said "matches survey"; after a title-only BibTeX import of "Highly accurate
#: protein structure prediction with AlphaFold", picks said "matches highly accurate". They weigh in the score as
#: any word does, and a declared interest still names them.
TITLE_FILLER_WORDS = frozenset({
    "survey", "review", "overview", "comprehensive", "tutorial", "systematic", "handbook", "lesson", "perspective",
    "insight", "direction", "paradigm", "novel", "revisiting", "rethinking",
    "highly", "accurate", "accurately", "simple", "effective", "improved", "improving", "better", "level",
})


def reason_words(target: Target, liked_titles: Sequence[str], vectorizer: TextVectorizer) -> frozenset[str]:
    """The words a reason may name for ``target`` (plurals as singulars): what the reader declared or read more than once.

    A term is named when it is in the target's interests (a channel's topic), or in the title of one
    of its 👍 or in :data:`MIN_READ_LIKES` or more of its 👍 (any field) and in at most :data:`MAX_READ_SHARE` of the
    papers; author terms always are (:func:`nameable_terms`).  A word that only one liked abstract
    shares with the pick ("sufficient", "eventually", "rely"), or that most abstracts hold ("high",
    "results", "tasks"), weighs in the score but says nothing to the reader
    (``benchmarks/reason_thresholds.py``, items 5 and 6).

    Parameters
    ----------
    target : Target
        Its ``interests_text`` and ``liked`` rows, shape (n_liked, n_features).
    liked_titles : sequence of str
        Titles of the target's 👍.
    vectorizer : TextVectorizer
        The model whose feature names the explanation's terms are.
    """
    features = set(vectorizer.transform_text(list(liked_titles)).indices.tolist()) if liked_titles else set()
    if target.liked.shape[0] >= MIN_READ_LIKES:
        counts = np.bincount(target.liked.indices, minlength=target.liked.shape[1])
        features.update(np.flatnonzero(counts >= MIN_READ_LIKES).tolist())
    features -= set(vectorizer.common_words(MAX_READ_SHARE).tolist())
    names = vectorizer.feature_names()
    read = {_singular(str(names[f])) for f in features}
    read = {t for t in read if not set(t.split()) <= TITLE_FILLER_WORDS}
    declared = vectorizer.transform_text([target.interests_text]).indices.tolist()
    return frozenset(read | {_singular(str(names[f])) for f in declared})


class ReaderWords(NamedTuple):
    """What a reason may name for one reader, read once per reader and used for each of their picks.

    Attributes
    ----------
    words : frozenset of str
        :func:`reason_words`.
    phrases : tuple of frozenset of str
        :func:`~recommender.reason_terms.interest_phrases`.
    said : tuple of str
        The reader's own words: declared interests (a channel's topic), then the liked titles joined by
        " | " (one text, scanned once per term), for :func:`~recommender.reason_terms.said_terms`.
    own : frozenset of str
        The words the liked titles write outside a declared phrase (:func:`~recommender.reason_terms.own_words`):
        never a lone word.
    """

    words: frozenset[str]
    phrases: tuple[frozenset[str], ...]
    said: tuple[str, ...]
    own: frozenset[str] = frozenset()


def reader_words(target: Target, liked_titles: Sequence[str], vectorizer: TextVectorizer) -> ReaderWords:
    """The :class:`ReaderWords` of ``target`` (arguments as :func:`reason_words`)."""
    phrases = interest_phrases(target.interests_text, vectorizer)
    return ReaderWords(reason_words(target, liked_titles, vectorizer), phrases,
                       (target.interests_text, " | ".join(liked_titles)), own_words(liked_titles, phrases))


def nameable_terms(terms: Sequence[str], words: frozenset[str], *, pick_authors: Sequence[str] | None = None,
                   liked_authors: Iterable[str] = ()) -> list[str]:
    """The ``terms`` (best first, ``ScoredRow.terms``) that are author terms or :func:`reason_words` ``words``, in order.

    With ``pick_authors`` (the pick's author names), an author term is named only when one of them and one of
    ``liked_authors`` (the names on the reader's 👍) can be the same person (:func:`same_person`): the term is
    an initial and a surname, and "J. Huang" named for Jiale Huang's paper after a 👍 on Jiaxin Huang's misled.
    """
    liked = list(liked_authors) if pick_authors is not None else []

    def named(term: str) -> bool:
        if not term.startswith(AUTHOR_PREFIX):
            return _singular(term) in words
        if pick_authors is None:
            return True
        mine = [a for a in pick_authors if author_token(a) == term]
        return any(same_person(a, b) for a in mine for b in liked if author_token(b) == term)

    return [t for t in terms if named(t)]


def same_person(a: str, b: str) -> bool:
    """Whether two author names of one author term (same initial and surname) can be one person: their first
    given names agree, or one is the other's initial or start ("J. Huang", "Jia Huang" and "Jiaxin Huang" can be
    one; "Jiale Huang", "Jia-Le Huang" and "Jiaxin Huang" cannot)."""
    def given(name: str) -> str:  # the first word's letters: "Zi-Ang" is "ziang", "J." is "j"
        words = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().split()
        return re.sub(r"[^a-z]", "", words[0]) if words else ""

    x, y = given(a), given(b)
    return x.startswith(y) or y.startswith(x)


def pick_reason(terms: Sequence[str], similar_title: str | None, *, profile: str | None = None,
                by_meaning: bool = False, shared: bool | None = None, channel: bool = False,
                partial: Sequence[str] = (), interest: str | None = None) -> str:
    """One line saying why a paper was picked: the terms that weighed most, and the liked paper it is closest to.

    Parameters
    ----------
    terms : sequence of str
        The profile's terms that weighed most in the match, best first.
    similar_title : str or None
        Title of the liked paper closest to this one (None: no 👍 close enough).
    profile : str, optional
        :func:`profile_words` of the target; None when it has no profile (papers come newest first).
    by_meaning : bool
        The paper is close to the profile by its sentence embedding (a pick ranked with embeddings, a fit
        that reaches the fit threshold): it may share no term with the profile and still be close to it.
    shared : bool, optional
        Whether the paper shares any term with the profile at all (default: whether ``terms`` has one).
        True with no ``terms`` means it shares words, none worth naming (:func:`reason_words`).
    channel : bool
        The pick is a channel's: with no profile, the reason asks for a topic rather than interests.
    partial : sequence of str
        Declared words the paper shares outside their phrase (:func:`~recommender.reason_terms.lone_words`),
        not named as a match: with no term to name, the reason says the paper shares only them ("shares only
        “knowledge” of a declared phrase"; "close in meaning to …, sharing only …" with ``by_meaning``), not
        "no distinctive word in common".
    interest : str, optional
        The declared interest the pick is nearest in meaning, named by a reason that says it is close in meaning
        and names no declared word (:func:`nearest_interest_words`): those words may be another interest's.
    """
    parts = []
    shown = [_term(t) for t in distinct_terms(list(terms), 3)]  # "author" is no word of "author G. Hinton"
    if shown:
        parts.append("matches " + ", ".join(shown))
    if similar_title is not None:
        parts.append(f"similar to 👍 “{_short(similar_title)}”")
    if parts:
        return "; ".join(parts)
    if profile is None and channel:
        return "newest first: no topic or 👍 yet (give the channel a topic with `channel setup … <topic>`)"
    if profile is None:
        return "newest first: no interests or 👍 yet (add interests to make picks yours)"
    alone = distinct_terms(list(partial), 2)
    if alone:
        lead = f"close in meaning to {profile}, sharing" if by_meaning else "shares"
        return f"{lead} only {' and '.join(f'“{w}”' for w in alone)} of {'declared phrases' if len(alone) > 1 else 'a declared phrase'}"
    if shared:
        near = nearest_interest_words(profile, interest) if by_meaning else profile
        return f"close {'in meaning ' if by_meaning else ''}to {near}, sharing only common words"
    if by_meaning:
        return f"close in meaning to {nearest_interest_words(profile, interest)}, with no distinctive word in common"
    return f"no distinctive word in common with {profile}"


def paper_reason(terms: Sequence[str], paper, reader: ReaderWords, *, liked: Iterable | None = None,
                 similar_title: str | None = None, **how) -> str:
    """:func:`pick_reason` for ``paper`` (a stored paper: ``title``, ``abstract``, ``authors``) and a reader.

    The terms named are the :func:`nameable_terms` of ``reader.words``, said as the reader and the paper write
    them (:func:`~recommender.reason_terms.said_terms`); the reader's declared words the paper shares only
    outside their phrase (:func:`~recommender.reason_terms.lone_words`) are said apart (``partial``).
    ``liked`` are the reader's 👍 papers (their ``authors``): with them an author term is named only for a
    name that can be the same person; None names any author term.  ``how``: :func:`pick_reason`'s keywords.
    """
    texts = (paper.title, paper.abstract or "")
    lone = lone_words(reader.phrases, " ".join(texts)) - reader.own  # a liked title's word, written alone, is the reader's own
    named = nameable_terms(terms, reader.words, pick_authors=None if liked is None else paper.authors or [],
                           liked_authors=(a for p in liked or () for a in p.authors or []))
    partial = [t for t in named if " " not in t and _singular(t) in lone]
    matched = said_terms([t for t in named if t not in partial], texts, reader.said)
    return pick_reason(matched, similar_title, partial=partial, **how)


def search_lead(hit: Hit, profile: str | None) -> str:
    """What a search result holding none of the words searched is there for, from the parts of its score: the
    lead of its reason (:func:`recommender.pick.search_reason`: "close in meaning, with none of the words searched").

    * ``"close in meaning"`` when it is (:attr:`~recommender.search.Hit.close`);
    * else ``"matches a related word form"`` when it answers the query all the same
      (:attr:`~recommender.search.Hit.answers`): the full-text index matched a word of another form ("robotic" for
      "robots", by stemming), and so does any result by words alone (meaning not measured);
    * else ``"for {profile}"`` when the person's part outweighs meaning (``profile``: :func:`profile_words`, None
      for no profile): only the person's interests or 👍 placed it, below every result that answers;
    * else ``"nearest in meaning"``: among the papers nearest the query in meaning, none of them close.
    """
    if hit.close:
        return "close in meaning"
    if hit.answers or hit.closeness is None:
        return "matches a related word form"
    if profile is not None and hit.personal > hit.meaning:
        return f"for {profile}"
    return "nearest in meaning"


def _term(term: str) -> str:
    """A term as a reader says it: the author token ``author:g_hinton`` reads ``author G. Hinton``."""
    if not term.startswith(AUTHOR_PREFIX):
        return term
    initial, _, surname = term.removeprefix(AUTHOR_PREFIX).partition("_")
    name = f"{initial.upper()}. {surname.title()}" if surname else initial.title()
    return f"author {name}"


def _short(title: str, limit: int = 70) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
