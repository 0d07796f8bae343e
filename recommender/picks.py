"""Picks and search over the store: the glue between stored papers, feedback and the ranker.

Profiles are never stored: each call derives them from the members' declared
interests and feedback in the store, so they stay valid across model refits.
The fitted TF-IDF vectorizer and every paper's TF-IDF row are persisted in the
store and loaded once per process (:mod:`recommender.text.current`); a refit runs
beside requests (``paperbot refit``, the service's refit job) and is swapped in.
Sentence embeddings are stored per paper and model version (:mod:`recommender.text.vectors`);
without the embedding model, ranking and search use TF-IDF alone. Search itself
lives in :mod:`recommender.store_search`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import threading
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from recommender.pick import Pick
from recommender.prepared import EMBED_WHEN_RANKING, CandidateCache, corpus_ids, new_since, news_papers
from recommender.ranking import Ranker, Target
from recommender.ranking.targets import INTEREST_SEPARATOR, interest_parts
from recommender.reasons import CHANNEL, ReaderWords, paper_reason, profile_words, reader_words
from recommender.settings import RecommenderSettings
from recommender.spelling import found_texts, missing_words, model_words, respell
from recommender.store import Channel, Delivery, DeliveryItem, Feedback, Member, Paper, Store
from recommender.store.fulltext import is_reference
from recommender.store.models import utcnow
from recommender.store.word_counts import papers_holding
from recommender.store_search import find
from recommender.text.current import CurrentVectors
from recommender.text.embeddings import PaperEmbedder, default_embedder
from recommender.text.frozen import FrozenTfidf, TextVectorizer

TargetRow = Member | Channel


def _locked(method):
    """Run ``method`` under the instance's lock."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _nearest(interests: Sequence[str], row) -> str | None:
    """The declared interest a ranked row is nearest in meaning (``ScoredRow.interest``), for a row scoring above 0:
    a trial's picks at -0.03 read "close in meaning to your interest “seismology …”"."""
    return interests[row.interest] if row.interest is not None and row.score > 0 and row.interest < len(interests) else None


def _ages_days(rows: Sequence[Feedback], now: dt.datetime) -> np.ndarray:
    """Each row's age at ``now`` in days (never below 0), shape (len(rows),)."""
    return np.asarray([max((now - _aware(r.created_at)).total_seconds(), 0.0) / 86400.0 for r in rows], dtype=float)


class Recommender:
    """Ranks stored papers for members and channels.

    Parameters
    ----------
    store : Store
        The paper store.
    settings : RecommenderSettings
        Half-life of feedback (days) and MMR weight.

    Notes
    -----
    Thread-safe: one instance is shared by the scheduler's worker threads and
    the chat adapters' handlers; a lock serialises requests. :meth:`refit` does
    not take it: requests go on with the previous model until the new one is swapped in.
    """

    def __init__(self, store: Store, settings: RecommenderSettings | None = None,
                 embedder: PaperEmbedder | None = None):
        self.store = store
        self.settings = settings or RecommenderSettings()
        #: the sentence-embedding model (None: TF-IDF alone; the reason is logged once)
        self.embedder = embedder if embedder is not None else (default_embedder() if self.settings.semantic else None)
        self._lock = threading.RLock()
        self.vectors = CurrentVectors(self.embedder)  # the TF-IDF model, its rows and stored embeddings, loaded once
        self._prepared = CandidateCache()

    # -- vectors ----------------------------------------------------------------
    @_locked
    def vectorizer(self, session: Session) -> FrozenTfidf:
        """The current fitted vectorizer (fitted now only when no usable model is stored)."""
        return self.vectors.model(session).vectorizer

    def warm_up(self) -> threading.Thread:
        """Load the TF-IDF rows and stored embeddings in a background thread (a long-running process, at start).

        Until they are loaded, searches vectorise their candidates' text
        (:meth:`~recommender.text.current.CurrentVectors.few_rows`); picks and digests wait for them.
        Returns the (daemon) thread, which ends when they are loaded.
        """
        return self.vectors.load_in_background(self.store)

    def refit(self) -> FrozenTfidf:
        """Fit a new vectorizer on every stored paper, persist it with every paper's row, and swap it in.

        Runs beside requests (they keep the previous model until the swap); see
        :meth:`recommender.text.current.CurrentVectors.refit`.
        """
        return self.vectors.refit(self.store).vectorizer

    def needs_refit(self, session: Session, now: dt.datetime | None = None) -> bool:
        """Whether the stored model should be refitted (:meth:`CurrentVectors.needs_refit`; the refit job asks)."""
        return self.vectors.needs_refit(session, now)

    @_locked
    def matrix(self, session: Session, paper_ids: Sequence[int]) -> sp.csr_matrix:
        """TF-IDF rows of ``paper_ids``, shape ``(len(paper_ids), n_features)`` sparse CSR float32."""
        return self.vectors.rows(session, paper_ids)[1]

    @_locked
    def embeddings(self, session: Session, paper_ids: Sequence[int]) -> np.ndarray | None:
        """Sentence embeddings of ``paper_ids``, shape (len(paper_ids), dim); None without the model.
        Papers with no stored vector of this model version are embedded now and stored in ``session``
        (:func:`~recommender.text.vectors.embeddings_for`).
        """
        return self.vectors.embeddings(session, paper_ids)

    def ranker(self, session: Session, **params) -> Ranker:
        return self.new_ranker(self.vectorizer(session), **params)

    def new_ranker(self, vectorizer: TextVectorizer, **params) -> Ranker:
        """A :class:`Ranker` over ``vectorizer`` with this recommender's settings (``params``: other Ranker arguments)."""
        return Ranker(vectorizer, half_life_days=self.settings.half_life_days,
                      mmr_lambda=self.settings.mmr_lambda, embedder=self.embedder, **params)

    # -- targets ----------------------------------------------------------------
    def _feedback(self, session: Session, target: TargetRow) -> list[Feedback]:
        query = select(Feedback).join(Feedback.paper).options(contains_eager(Feedback.paper))  # no lazy load per 👍
        if isinstance(target, Member):
            query = query.where(Feedback.member_id == target.id)
        else:
            query = query.where(Feedback.channel_id == target.id)
        return list(session.scalars(query.order_by(Feedback.id)).all())

    def seen_paper_ids(self, session: Session, target: TargetRow, feedback: Sequence[Feedback] | None = None) -> set[int]:
        """Papers already delivered to, or rated by, ``target``: never picked again (``feedback``: its rows, when read)."""
        kind = "member" if isinstance(target, Member) else "channel"
        delivered = session.scalars(
            select(DeliveryItem.paper_id)
            .join(Delivery, DeliveryItem.delivery_id == Delivery.id)
            .where(Delivery.target_kind == kind, Delivery.target_id == target.id)
        ).all()
        rated = [f.paper_id for f in (self._feedback(session, target) if feedback is None else feedback)]
        return set(delivered) | set(rated)

    def target_inputs(self, session: Session, target: TargetRow, candidate_ids: Sequence[int], now: dt.datetime,
                      semantic: bool = True) -> tuple[Target, list[Paper]]:
        """The ranker's view of ``target``: interests text, liked and disliked rows with ages (days), and with
        ``semantic`` the liked papers' sentence vectors (not computed for a ranking by TF-IDF alone)."""
        interests = INTEREST_SEPARATOR.join(target.interests or []) if isinstance(target, Member) else (target.topic or "")
        feedback = self._feedback(session, target)
        liked = [f for f in feedback if f.value > 0]
        disliked = [f for f in feedback if f.value < 0]
        seen = self.seen_paper_ids(session, target, feedback)
        exclude = {i for i, pid in enumerate(candidate_ids) if pid in seen}
        liked_papers = [f.paper for f in liked]
        liked_ids = [p.id for p in liked_papers]
        return (
            Target(
                interests_text=interests,
                liked_embeddings=self.embeddings(session, liked_ids) if liked_ids and semantic else None,
                liked=self.matrix(session, liked_ids),
                liked_age_days=_ages_days(liked, now),
                liked_keys=liked_ids,
                disliked=self.matrix(session, [f.paper_id for f in disliked]),
                disliked_age_days=_ages_days(disliked, now),
                exclude=exclude,
            ),
            liked_papers,
        )

    def candidates(self, session: Session, *, since: dt.datetime | None = None) -> list[tuple[int, dt.date, bool]]:
        """News papers first seen at or after ``since`` (UTC), all when ``None`` (:func:`~recommender.prepared.news_papers`)."""
        return news_papers(session, since)

    def new_since(self, session: Session) -> dt.datetime | None:
        """Where "new" starts for a first digest and ``/papers picks``: ``new_days`` before the newest news paper
        (:func:`~recommender.prepared.new_since`)."""
        return new_since(session, self.settings.new_days)

    @_locked
    def prepare(self, session: Session, *, since: dt.datetime | None = None) -> int:
        """Store the TF-IDF rows and sentence embeddings that the candidates since ``since`` (UTC; None: since
        :meth:`new_since`) and their corpus lack (:meth:`~recommender.text.current.CurrentVectors.store_missing`); returns how
        many candidates there are.

        :meth:`picks` stores them on its way, in the session it ranks in. A caller that ranks in a read
        transaction calls this first, in a transaction of its own: on SQLite a transaction that stored
        rows holds the database's write lock until it ends, and every other writer (a 👍, a command)
        would wait for the ranking after it (``benchmarks/write_wait.py``).
        """
        ids = [pid for pid, _, _ in self.candidates(session, since=since or self.new_since(session))]
        if ids:
            self.vectors.store_missing(session, corpus_ids(session, ids) + ids, EMBED_WHEN_RANKING)
        return len(ids)

    @_locked
    def picks(
        self,
        session: Session,
        targets: Sequence[TargetRow],
        k: int,
        *,
        since: dt.datetime | None | Sequence[dt.datetime | None] = None,
        now: dt.datetime | None = None,
    ) -> list[list[Pick]]:
        """Top-``k`` picks for each target among papers first seen since ``since`` (UTC).

        Targets of one workspace are scored in one ranker call against the papers known before the
        candidates (:func:`recommender.prepared.corpus_ids`), with that workspace's 👍 as the community: the rule ``paperbot eval``
        measures (:mod:`recommender.ranking.community`). Papers already delivered to or rated by a target are never picked for it.

        ``since`` is one bound for every target, or a list with one per target (a day's digests, whose
        last digests were composed at different times): the candidates are then the papers of the
        earliest bound, and each target's papers first seen before its own bound are excluded for it.
        None, alone or in the list, means the papers since :meth:`new_since` (the last ``new_days`` of papers).

        Raises
        ------
        ValueError
            When ``since`` is a list whose length is not ``len(targets)``.
        """
        now = now or utcnow()
        bounds: list[dt.datetime | None] = list(since) if isinstance(since, (list, tuple)) else [since] * len(targets)  # type: ignore[list-item]
        if len(bounds) != len(targets):
            raise ValueError(f"since has {len(bounds)} bounds for {len(targets)} targets")
        if None in bounds:  # aware, as the window is: a naive bound is UTC (_older_than's rule)
            window = self.new_since(session)
            bounds = [window if b is None else _aware(b) for b in bounds]
        dated = [b for b in bounds if b is not None]
        floor = min(dated) if dated and len(dated) == len(bounds) else None
        found = self.candidates(session, since=floor)
        if not found or not targets:
            return [[] for _ in targets]
        ready = self._prepared.get(self, session, found)  # built once per day's candidates, corpus and model
        ids, X, semantic, priors, ranker = ready.ids, ready.matrix, ready.semantic, ready.priors, ready.ranker
        older = self._older_than(session, ids, bounds, floor)
        workspaces: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, target in enumerate(targets):
            workspaces[(target.platform, target.workspace)].append(i)
        ranked_rows: list[list] = [[] for _ in targets]
        liked_of: list[dict[object, Paper]] = [{} for _ in targets]  # keyed like ScoredRow.similar_to
        profile_of: list[tuple[str | None, list[str]]] = [(None, [])] * len(targets)  # what the profile is made of; interests
        words_of = [ReaderWords(frozenset(), (), ())] * len(targets)  # what a reason may name (reader_words)
        for (platform, workspace), indices in workspaces.items():
            ranker.clear_community()
            self._set_community(session, ranker, platform, workspace)
            inputs: list[Target] = []
            for i in indices:
                target_input, liked_papers = self.target_inputs(session, targets[i], ids, now, semantic is not None)
                target_input.exclude |= older[i]
                inputs.append(target_input)
                words_of[i] = reader_words(target_input, [p.title for p in liked_papers], ranker.vectorizer)
                liked_of[i] = {p.id: p for p in liked_papers}
                profile_of[i] = (profile_words(target_input, owner=CHANNEL if isinstance(targets[i], Channel) else "your"),
                                 interest_parts(target_input.interests_text, split=ranker.split_interests))
            ranked = ranker.rank(X, inputs, k=k, candidate_priors=priors, semantic=semantic,
                                 cold_start_priors=ready.newest)
            for i, rows in zip(indices, ranked, strict=True):
                ranked_rows[i] = rows
        shown = sorted({ids[row.index] for rows in ranked_rows for row in rows})
        papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(shown)))} if shown else {}
        return [
            [
                Pick.from_paper(
                    papers[ids[row.index]],
                    score=float(row.score),
                    reason=paper_reason(row.terms, papers[ids[row.index]], words, liked=liked.values(),
                                        similar_title=getattr(liked.get(row.similar_to), "title", None),
                                        profile=profile[0], channel=isinstance(target, Channel), by_meaning=semantic is not None,
                                        shared=bool(row.terms), interest=_nearest(profile[1], row)),
                )
                for row in rows
            ]
            for rows, liked, profile, words, target in zip(ranked_rows, liked_of, profile_of, words_of, targets, strict=True)
        ]

    @staticmethod
    def _older_than(session: Session, ids: Sequence[int], bounds: Sequence[dt.datetime | None],
                    floor: dt.datetime | None) -> list[set[int]]:
        """Per target, the candidate rows first seen before its own bound (none when every bound is ``floor``)."""
        if all(b == floor for b in bounds):
            return [set() for _ in bounds]
        row = {pid: i for i, pid in enumerate(ids)}
        query = select(Paper.id, Paper.first_seen).where(Paper.is_news.is_(True))
        if floor is not None:
            query = query.where(Paper.first_seen >= floor)
        seen_at = sorted((first_seen, row[pid]) for pid, first_seen in session.execute(query) if pid in row)
        times = [t for t, _ in seen_at]
        return [set() if b is None or b == floor else {i for _, i in seen_at[:bisect.bisect_left(times, _aware(b))]}
                for b in bounds]

    def _set_community(self, session: Session, ranker: Ranker, platform: str, workspace: str) -> None:
        """Give ``ranker`` who liked what in one workspace (members' 👍), when enough people gave any (``Ranker.community_min_members``, 2)."""
        rows = session.execute(
            select(Feedback.member_id, Feedback.paper_id)
            .join(Member, Feedback.member_id == Member.id)
            .where(Member.platform == platform, Member.workspace == workspace, Feedback.value > 0)
            .order_by(Feedback.paper_id)
        ).all()
        members = sorted({m for m, _ in rows})
        if len(members) < ranker.community_min_members:
            return
        paper_ids = sorted({p for _, p in rows})
        member_index = {m: i for i, m in enumerate(members)}
        paper_index = {p: j for j, p in enumerate(paper_ids)}
        user_items = sp.csr_matrix(
            (np.ones(len(rows)), ([member_index[m] for m, _ in rows], [paper_index[p] for _, p in rows])),
            shape=(len(members), len(paper_ids)),
        )
        ranker.set_community(self.matrix(session, paper_ids), user_items, item_keys=paper_ids)

    def _search_target(self, session: Session, member: Member) -> Target | None:
        """``member``'s profile inputs for search (nothing excluded); None when nothing is known of them."""
        feedback = self._feedback(session, member)
        if not feedback and not member.interests:
            return None
        liked = [f for f in feedback if f.value > 0]
        disliked = [f for f in feedback if f.value < 0]
        liked_ids = [f.paper_id for f in liked]
        now = utcnow()
        return Target(
            interests_text=INTEREST_SEPARATOR.join(member.interests or []),
            liked_embeddings=self.embeddings(session, liked_ids) if liked_ids else None,
            liked=self.vectors.few_rows(session, liked_ids)[1], liked_age_days=_ages_days(liked, now), liked_keys=liked_ids,
            disliked=self.vectors.few_rows(session, [f.paper_id for f in disliked])[1],
            disliked_age_days=_ages_days(disliked, now),
        )

    @_locked
    def search(
        self,
        session: Session,
        query: str,
        k: int = 10,
        *,
        member: Member | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        source: str | None = None,
    ) -> list[Pick]:
        """Stored papers matching ``query``, best first; see :func:`recommender.store_search.find`.

        Each result's ``reason`` names the words of ``query`` it lacks and, lacking all, what placed it: the
        person's profile, its meaning, a related word form (:meth:`Pick.found`).

        Candidates come from the database's full-text index (papers the query
        names exactly first) and, with embeddings, by meaning; they are re-ranked
        by TF-IDF (and embedding) relevance and, for ``member``, their profile (which never lifts a paper
        holding no word searched and not close in meaning above one that does: :func:`recommender.search.rerank`).
        ``since``/``until`` bound the publication day (UTC), inclusive: undated
        papers never pass (an ingest day is not a publication day). ``source``
        keeps one source kind (``hf_page``, ``hf_api``, ``arxiv_atom``, ``arxiv_rss``).
        """
        target = self._search_target(session, member) if member is not None else None
        return find(session, self.vectors, self.new_ranker, query, k, target=target, since=since, until=until, source=source)

    def respell(self, session: Session, query: str, found: Sequence[Pick] = ()) -> str | None:
        """``query`` with each word that no paper of ``found`` nor any stored one holds (the full-text index) and the
        TF-IDF model never saw put as the closest word it did (:func:`recommender.spelling.respell`: "quantisation"
        -> "quantization"). Authors' surnames count as words the model saw; a reference (an arXiv link, ``#6``)
        is never respelled.

        Returns
        -------
        str or None
            The respelled query; None when no word changes (or the store is empty).
        """
        if is_reference(query) or session.scalar(select(Paper.id).limit(1)) is None:
            return None
        # a word some stored paper holds (counted: rare=True) is no typo, known to the model or not ("unlearning")
        missing = {w for w in missing_words(query, found_texts(found)) if not papers_holding(session, w, 1, rare=True)}
        if not missing:
            return None
        v = self.vectors.few_rows(session, [])[0]
        known, frequency = model_words(v)
        return respell(query, missing, known, frequency, v.stop_words, n_papers=v.n_papers_fit_)

