"""Picks and search over the store: the glue between stored papers, feedback and the ranker.

Profiles are never stored: each call derives them from the members' declared
interests and feedback in the store, so they stay valid across model refits.
The fitted TF-IDF vectorizer is persisted in the store (``model_state``) and
reloaded without refitting; it is refitted only when its refit policy says so.
Sentence embeddings are stored per paper and model version (:mod:`recommender.text.vectors`);
without the embedding model, ranking and search use TF-IDF alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recommender.ranking import Ranker, Target
from recommender.ranking.semantic import SemanticInputs
from recommender.search import search
from recommender.settings import RecommenderSettings
from recommender.store import Channel, Delivery, DeliveryItem, Feedback, Member, ModelState, Paper, Store
from recommender.store.models import utcnow
from recommender.text.embeddings import PaperEmbedder, default_embedder
from recommender.text.tfidf import PaperText, PaperVectorizer, StaleModelError
from recommender.text.vectors import embeddings_for

TargetRow = Member | Channel


def _locked(method):
    """Run ``method`` under the instance's lock."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Pick:
    """A paper recommended to (or found for) a target: what every adapter renders.

    Plain values, no ORM object, so it can cross threads and outlive the session.

    Attributes
    ----------
    paper_id : int
        ``papers.id`` in the store.
    ref : str
        What people type to name it: the arXiv id, else ``#<paper_id>``.
    title, abstract : str
    url : str or None
        The paper's link (arXiv abs page when only the id is known); None when unknown.
    authors : tuple of str
    source_kind : str
        Parser that first stored it: ``hf_page``, ``hf_api``, ``arxiv_atom``, ``arxiv_rss``.
    published : datetime.date or None
        Publication day (UTC); None when the digest gave none (never the ingest day).
    score : float
        Ranking score, higher is better (0.0 for plain listings).
    reason : str
        One line saying why it was picked or matched ("" when there is none).
    """

    paper_id: int
    ref: str
    title: str
    url: str | None
    authors: tuple[str, ...]
    source_kind: str
    published: dt.date | None
    abstract: str
    score: float = 0.0
    reason: str = ""

    @classmethod
    def from_paper(cls, paper: Paper, *, score: float = 0.0, reason: str = "") -> Pick:
        """The pick of a stored :class:`~recommender.store.Paper` row."""
        return cls(
            paper_id=paper.id, ref=paper.ref, title=paper.title, url=paper.link,
            authors=tuple(paper.authors or ()), source_kind=paper.source_kind,
            published=paper.published, abstract=paper.abstract or "", score=score, reason=reason,
        )


def pick_reason(terms: Sequence[str], similar_title: str | None) -> str:
    """One line saying why a paper was picked: the terms that weighed most, and the liked paper it is closest to."""
    parts = []
    shown = distinct_terms(terms, 4)
    if shown:
        parts.append("matches " + ", ".join(shown))
    if similar_title is not None:
        parts.append(f"similar to 👍 “{_short(similar_title)}”")
    if not parts:
        return "newest first: no interests or feedback yet (add interests to make picks yours)"
    return "; ".join(parts)


def distinct_terms(terms: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` terms, dropping any whose words all appear in a term already kept.

    >>> distinct_terms(["shot learning", "shot", "zero shot", "zero"], 4)
    ['shot learning', 'zero shot']
    """
    kept: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(k.split()) for k in kept):
            continue
        kept = [k for k in kept if not set(k.split()) <= words] + [term]
        if len(kept) == limit:
            break
    return kept


def _short(title: str, limit: int = 70) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def vectorizer_text(paper: Paper) -> PaperText:
    """What the vectorizer reads of a stored paper: title, abstract, authors."""
    return PaperText(paper.title, paper.abstract or "", tuple(paper.authors or ()))


def _ages_days(rows: Sequence[Feedback], now: dt.datetime) -> np.ndarray:
    ages = []
    for row in rows:
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
        ages.append(max((now - created).total_seconds(), 0.0) / 86400.0)
    return np.asarray(ages, dtype=float)


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
    the chat adapters' handlers; a lock guards the model and the vector cache.
    """

    def __init__(self, store: Store, settings: RecommenderSettings | None = None,
                 embedder: PaperEmbedder | None = None):
        self.store = store
        self.settings = settings or RecommenderSettings()
        #: the sentence-embedding model (None: TF-IDF alone; the reason is logged once)
        self.embedder = embedder if embedder is not None else (default_embedder() if self.settings.semantic else None)
        self._lock = threading.RLock()
        self._vectorizer: PaperVectorizer | None = None
        self._model_id: int | None = None
        self._rows: dict[int, sp.csr_matrix] = {}

    # -- vectorizer lifecycle -------------------------------------------------
    @_locked
    def vectorizer(self, session: Session) -> PaperVectorizer:
        """The fitted vectorizer: loaded from the store, refitted only when its policy asks."""
        n_papers = session.scalar(select(func.count(Paper.id))) or 0
        latest = session.scalar(select(ModelState).order_by(ModelState.id.desc()).limit(1))
        stale = False
        if latest is not None and latest.id != self._model_id:
            try:
                self._vectorizer = PaperVectorizer.from_bytes(latest.blob)
            except StaleModelError:
                stale = True  # written by an older layout: refit below
            self._model_id = latest.id
            self._rows.clear()
        if stale or self._vectorizer is None or self._vectorizer.needs_refit(n_papers):
            self.refit(session)
        assert self._vectorizer is not None
        return self._vectorizer

    @_locked
    def refit(self, session: Session) -> PaperVectorizer:
        """Fit the vectorizer on every stored paper and persist it in the store."""
        papers = session.scalars(select(Paper).order_by(Paper.id)).all()
        vectorizer = PaperVectorizer().fit([vectorizer_text(p) for p in papers])
        state = ModelState(n_papers=len(papers), blob=vectorizer.to_bytes(), fitted_at=utcnow())
        session.add(state)
        session.flush()
        self._vectorizer, self._model_id = vectorizer, state.id
        self._rows.clear()
        return vectorizer

    @_locked
    def matrix(self, session: Session, papers: Sequence[Paper]) -> sp.csr_matrix:
        """TF-IDF rows for ``papers``, shape ``(len(papers), n_features)`` sparse CSR, cached per model."""
        vectorizer = self.vectorizer(session)
        missing = [p for p in papers if p.id not in self._rows]
        if missing:
            X = vectorizer.transform([vectorizer_text(p) for p in missing])
            for i, paper in enumerate(missing):
                self._rows[paper.id] = X[i]
        n_features = len(vectorizer.feature_names())
        if not papers:
            return sp.csr_matrix((0, n_features))
        return sp.vstack([self._rows[p.id] for p in papers], format="csr")

    @_locked
    def embeddings(self, session: Session, papers: Sequence[Paper]) -> np.ndarray | None:
        """Sentence embeddings of ``papers``, shape (len(papers), dim); None without the model.

        Papers with no stored vector of this model version are embedded now
        and stored in ``session`` (:func:`~recommender.text.vectors.embeddings_for`).
        """
        return None if self.embedder is None else embeddings_for(session, papers, self.embedder)

    def ranker(self, session: Session) -> Ranker:
        return Ranker(self.vectorizer(session), half_life_days=self.settings.half_life_days,
                      mmr_lambda=self.settings.mmr_lambda, embedder=self.embedder)

    # -- targets ----------------------------------------------------------------
    def _feedback(self, session: Session, target: TargetRow) -> list[Feedback]:
        query = select(Feedback).join(Paper, Feedback.paper_id == Paper.id)
        if isinstance(target, Member):
            query = query.where(Feedback.member_id == target.id)
        else:
            query = query.where(Feedback.channel_id == target.id)
        return list(session.scalars(query.order_by(Feedback.id)).all())

    def seen_paper_ids(self, session: Session, target: TargetRow) -> set[int]:
        """Papers already delivered to, or rated by, ``target``: never picked again."""
        kind = "member" if isinstance(target, Member) else "channel"
        delivered = session.scalars(
            select(DeliveryItem.paper_id)
            .join(Delivery, DeliveryItem.delivery_id == Delivery.id)
            .where(Delivery.target_kind == kind, Delivery.target_id == target.id)
        ).all()
        rated = [f.paper_id for f in self._feedback(session, target)]
        return set(delivered) | set(rated)

    def target_inputs(self, session: Session, target: TargetRow, candidates: Sequence[Paper], now: dt.datetime) -> tuple[Target, list[Paper]]:
        """The ranker's view of ``target``: interests text, liked and disliked rows with ages (days)."""
        interests = " ".join(target.interests or []) if isinstance(target, Member) else (target.topic or "")
        feedback = self._feedback(session, target)
        liked = [f for f in feedback if f.value > 0]
        disliked = [f for f in feedback if f.value < 0]
        seen = self.seen_paper_ids(session, target)
        exclude = {i for i, p in enumerate(candidates) if p.id in seen}
        liked_papers = [f.paper for f in liked]
        return (
            Target(
                interests_text=interests,
                liked_embeddings=self.embeddings(session, liked_papers) if liked_papers else None,
                liked=self.matrix(session, liked_papers),
                liked_age_days=_ages_days(liked, now),
                liked_keys=[p.id for p in liked_papers],
                disliked=self.matrix(session, [f.paper for f in disliked]),
                disliked_age_days=_ages_days(disliked, now),
                exclude=exclude,
            ),
            liked_papers,
        )

    def candidates(self, session: Session, *, since: dt.datetime | None = None) -> list[Paper]:
        """News papers first seen at or after ``since`` (UTC); all news papers when ``None``."""
        query = select(Paper).where(Paper.is_news.is_(True))
        if since is not None:
            query = query.where(Paper.first_seen >= since)
        return list(session.scalars(query.order_by(Paper.id)).all())

    def _priors(self, session: Session, papers: Sequence[Paper]) -> np.ndarray:
        """Cold-start prior per candidate in [0, 1]: newer publication dates first."""
        if not papers:
            return np.zeros(0)
        ordinals = np.array([(p.published or p.first_seen.date()).toordinal() for p in papers], dtype=float)
        span = ordinals.max() - ordinals.min()
        return (ordinals - ordinals.min()) / span if span > 0 else np.zeros(len(papers))

    @_locked
    def picks(
        self,
        session: Session,
        targets: Sequence[TargetRow],
        k: int,
        *,
        since: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> list[list[Pick]]:
        """Top-``k`` picks for each target among papers first seen since ``since`` (UTC).

        Targets of one workspace are scored in one ranker call against the papers known before the
        candidates (:meth:`_corpus`), with that workspace's 👍 as the community: the rule ``paperbot eval``
        measures (:mod:`recommender.ranking.community`). Papers already delivered to or rated by a target are never picked for it.
        """
        now = now or utcnow()
        papers = self.candidates(session, since=since)
        if not papers or not targets:
            return [[] for _ in targets]
        X = self.matrix(session, papers)
        emb = self.embeddings(session, papers)
        semantic = None if emb is None else SemanticInputs(emb)
        priors = self._priors(session, papers)
        ranker = self.ranker(session).set_corpus(*self._corpus(session, papers))  # neighbours found once
        workspaces: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, target in enumerate(targets):
            workspaces[(target.platform, target.workspace)].append(i)
        out: list[list[Pick]] = [[] for _ in targets]
        for (platform, workspace), indices in workspaces.items():
            ranker.clear_community()
            self._set_community(session, ranker, platform, workspace)
            inputs: list[Target] = []
            liked_by_id: list[dict[object, Paper]] = []  # keyed like ScoredRow.similar_to
            for i in indices:
                target_input, liked_papers = self.target_inputs(session, targets[i], papers, now)
                inputs.append(target_input)
                liked_by_id.append({p.id: p for p in liked_papers})
            ranked = ranker.rank(X, inputs, k=k, candidate_priors=priors, semantic=semantic)
            for i, rows, liked in zip(indices, ranked, liked_by_id, strict=True):
                out[i] = [
                    Pick.from_paper(
                        papers[row.index],
                        score=float(row.score),
                        reason=pick_reason(row.terms, getattr(liked.get(row.similar_to), "title", None)),
                    )
                    for row in rows
                ]
        return out

    def _corpus(self, session: Session, candidates: Sequence[Paper]) -> tuple[sp.csr_matrix, list[int], np.ndarray | None]:
        """The ranker's corpus (TF-IDF rows, ids, embeddings): the papers known before ``candidates`` (the others, every 👍 one)."""
        new, liked = {p.id for p in candidates}, set(session.scalars(select(Feedback.paper_id).where(Feedback.value > 0)))
        known = [p for p in session.scalars(select(Paper).order_by(Paper.id)) if p.id not in new or p.id in liked]
        return self.matrix(session, known), [p.id for p in known], self.embeddings(session, known)

    def _set_community(self, session: Session, ranker: Ranker, platform: str, workspace: str) -> None:
        """Give ``ranker`` who liked what in one workspace (members' 👍), when at least two people gave any."""
        rows = session.execute(
            select(Feedback.member_id, Feedback.paper_id)
            .join(Member, Feedback.member_id == Member.id)
            .where(Member.platform == platform, Member.workspace == workspace, Feedback.value > 0)
            .order_by(Feedback.paper_id)
        ).all()
        members = sorted({m for m, _ in rows})
        if len(members) < 2:
            return
        paper_ids = sorted({p for _, p in rows})
        by_id = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))}
        member_index = {m: i for i, m in enumerate(members)}
        paper_index = {p: j for j, p in enumerate(paper_ids)}
        user_items = sp.csr_matrix(
            (np.ones(len(rows)), ([member_index[m] for m, _ in rows], [paper_index[p] for _, p in rows])),
            shape=(len(members), len(paper_ids)),
        )
        ranker.set_community(self.matrix(session, [by_id[p] for p in paper_ids]), user_items, item_keys=paper_ids)

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
        """Papers ranked by relevance to ``query`` (TF-IDF and, with the model, meaning), re-ranked for ``member`` when given (``reason`` empty).

        ``since``/``until`` filter on the publication date (else first-seen date), inclusive;
        ``source`` on the source kind (``hf_page``, ``hf_api``, ``arxiv_atom``, ``arxiv_rss``).
        """
        stmt = select(Paper)
        if source:
            stmt = stmt.where(Paper.source_kind == source)
        papers = list(session.scalars(stmt.order_by(Paper.id)).all())

        def day(p: Paper) -> dt.date:
            return p.published or p.first_seen.date()

        if since:
            papers = [p for p in papers if day(p) >= since]
        if until:
            papers = [p for p in papers if day(p) <= until]
        if not papers:
            return []
        X = self.matrix(session, papers)
        target = self.target_inputs(session, member, papers, utcnow())[0] if member is not None else None
        if target is not None:
            target.exclude = set()
        emb = self.embeddings(session, papers)
        hits = search(self.ranker(session), query, X, k=k, target=target, embeddings=emb)
        return [Pick.from_paper(papers[i], score=float(score)) for i, score in hits]
