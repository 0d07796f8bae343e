"""How a reason says its terms: as both the reader and the paper write them, and not a declared phrase's lone word.

The TF-IDF model reads "few-shot learning" as the feature "shot learning", "zero-shot" as "zero shot" and
"graph neural networks" as, among others, "graph neural": a reason that printed features read like a
stemmer's output. :func:`said_terms` says each term in a form the reader's own words (interests, liked titles)
and the paper share, and joins two terms the reader writes as one phrase ("node classification").
:func:`lone_words` finds the declared words a paper shares only outside their phrase ("knowledge" of
"knowledge graphs" in a knowledge-distillation paper), which a reason does not call a match
(:func:`recommender.reasons.paper_reason`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from recommender.text.analyzer import AUTHOR_PREFIX, analyze
from recommender.text.analyzer import singular as _singular
from recommender.text.frozen import TextVectorizer

__all__ = ["MAX_SAID_TERMS", "distinct_terms", "interest_phrases", "lone_words", "own_words", "plain_words", "said_terms",
           "spelled", "written_forms"]

#: Words that join the phrases of declared interests ("few-shot learning with semantic attributes and knowledge
#: graphs" is three phrases).
_JOINERS = ("and", "or", "with", "of", "on", "for", "in", "from", "via", "using", "to")
#: Where one declared phrase ends and the next begins (:func:`interest_phrases`); "of" inside
#: "out-of-distribution" joins nothing.
_PHRASE_BREAK = re.compile(r"[;,:/()\n]|(?<![\w-])(?:" + "|".join(_JOINERS) + r")(?![\w-])", re.I)
#: Words that end the words after a term (:func:`written_forms`): "quantization" of "quantization of neural
#: networks" is not "quantization of". The joiners and a few more; not the model's stop words, whose list would
#: import scikit-learn into a process that ranks without it.
_ENDS_A_PHRASE = frozenset(_JOINERS) | {"the", "a", "an", "is", "are", "by", "as", "at", "into", "over", "under", "we",
                                        "our", "this", "that"}
#: Terms :func:`said_terms` reads (best first): a reason names three.
MAX_SAID_TERMS = 6


def interest_phrases(interests_text: str, vectorizer: TextVectorizer) -> tuple[frozenset[str], ...]:
    """Each declared phrase's one-word features (singular), split at :data:`_PHRASE_BREAK`.

    Words the model has no feature for, in the plural or the singular (stop words, "learning" and other words of
    most papers), are no phrase's words: "graph learning" is the phrase {"graph"}.
    """
    phrases = [p for p in _PHRASE_BREAK.split(interests_text) if p and p.strip()]
    if not phrases:
        return ()
    names = vectorizer.feature_names()
    rows = vectorizer.transform_text(phrases + [_singular(p.lower()) for p in phrases])  # "networks" may be no feature
    n = len(phrases)
    return tuple(frozenset(_singular(str(names[f])) for f in (*rows[i].indices, *rows[n + i].indices)
                           if " " not in str(names[f]) and not str(names[f]).startswith(AUTHOR_PREFIX)) for i in range(n))


def lone_words(phrases: Sequence[frozenset[str]], paper_text: str) -> frozenset[str]:
    """Declared words (singular) a reason does not name alone for a paper: every declared phrase holding one
    (:func:`interest_phrases`) has other words, and the paper holds none of them.

    "knowledge" of "knowledge graphs" in a knowledge-distillation paper, "semantic" of "semantic attributes" in
    one about semantic segmentation: the reader declared a phrase, and the paper shares one word of it. A word
    that is a phrase of its own ("quantization; pruning"), or whose phrase the paper shares another word of
    ("node" of "node classification" in a paper on classifying nodes), is named as before.
    """
    held = plain_words(paper_text)
    declared = set().union(*phrases) if phrases else set()
    named = {w for words in phrases for w in words if len(words) == 1 or (words - {w}) & held}
    return frozenset(declared - named)


def own_words(titles: Sequence[str], phrases: Sequence[frozenset[str]]) -> frozenset[str]:
    """The words of liked ``titles`` (singular) that a reason may name alone: each title's words but those it
    writes only as a declared phrase (:func:`interest_phrases`), its words in a row in any order.

    A reader of "neural collapse" who liked "Prevalence of Neural Collapse" made "neural" no word of their own:
    a paper on neural ODEs shares only a declared phrase's word. One who liked "Neural ODEs Avoid Mode Collapse"
    did: that title writes "neural" and "collapse" apart.
    """
    own: set[str] = set()
    wide = [p for p in phrases if len(p) > 1]
    for title in titles:
        words = [_singular(w) for w in analyze(title, frozenset(), (1, 1))]
        phrased = [False] * len(words)  # a word of a run that is a declared phrase
        for phrase in wide:
            for i in range(len(words) - len(phrase) + 1):
                if set(words[i:i + len(phrase)]) == phrase:
                    phrased[i:i + len(phrase)] = [True] * len(phrase)
        own |= {w for w, inside in zip(words, phrased, strict=True) if not inside}
    return frozenset(own)


def plain_words(text: str) -> frozenset[str]:
    """The words of ``text`` as the model reads them, singular: lower-cased, accents stripped ("Poincaré" is
    "poincare"), tokens by the model's pattern."""
    return frozenset(_singular(w) for w in analyze(text, frozenset(), (1, 1)))


@functools.lru_cache(maxsize=64)
def _unaccented(text: str) -> str:
    """``text`` with each accented letter as its plain one, character for character ("Schrödinger" is
    "Schrodinger"), so that a match in it spans the same characters of ``text``; a letter that is no plain letter
    with marks ("ß", "æ") is kept. Cached: a reason reads the same liked titles for every term."""
    return text if text.isascii() else _NOT_ASCII.sub(lambda m: _plain_letter(m[0]), text)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _plain_letter(c: str) -> str:
    base = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
    return base if len(base) == 1 else c


def _key(form: str) -> str:
    """What two spellings share: "Zero-Shot", "zero/shot" and "zero shot" are one form, as are "networks" and
    "network", and "Schrödinger" and "Schrodinger"."""
    return _singular(" ".join(_unaccented(form.lower()).replace("-", " ").replace("/", " ").split()))


def _cased(form: str) -> str:
    """Lower-cased but for words of two capitals or more ("GNNs", "PyTorch")."""
    return re.sub(r"[A-Za-z0-9]+", lambda w: w[0] if sum(c.isupper() for c in w[0]) > 1 else w[0].lower(),
                  " ".join(form.split()))


@functools.lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern:
    """The term as written: its words apart or hyphenated, a hyphenated word before or after it, then up to two
    words (groups: before, the term, after, then)."""
    body = r"(?:[\s-]+|/)".join(map(re.escape, term.split()))  # "encoder decoder" as "encoder-decoder", "encoder/decoder"
    return re.compile(r"(?<![\w-])(?:([A-Za-z]+)-)?(" + body + r")(?:-([A-Za-z]+))?(?![\w-])"
                      r"((?:\s+[A-Za-z]+(?![\w-])){0,2})", re.I)


def written_forms(term: str, texts: Sequence[str], *, words_after: bool = True) -> dict[str, str]:
    """Every form ``texts`` write ``term`` in, :func:`_key` -> the first spelling, in the order found.

    A form is the term as written (hyphens and all), with the hyphenated word just before it ("few-shot
    learning", never "shot learning" alone), with or without the one after it ("meta-learning"), and, when no
    hyphenated word follows it, with the one or two
    words after it ("graph neural networks" for "graph"; a word of :data:`_ENDS_A_PHRASE` ends them) unless ``words_after`` is False.
    """
    forms: dict[str, str] = {}
    for text in texts:
        text = text or ""
        for m in _pattern(term).finditer(_unaccented(text)):  # the model's "schrodinger" is "Schrödinger" here
            # the groups' spans in the text itself ("" for a group that took no part: its span is -1, -1)
            before, said, after, then = (text[m.start(g):m.end(g)] for g in range(1, 5))
            more: list[str] = []  # the words after the term, up to the first that ends a phrase
            for word in then.split() if words_after and not after else []:
                if word.lower() in _ENDS_A_PHRASE:
                    break
                more.append(word)
            for head in ([f"{before}-"] if before else [""]):  # "few-shot learning" writes no "shot learning"
                spellings = [head + said, *([head + said + f"-{after}"] if after else [])]
                spellings += [" ".join([head + said, *more[:n]]) for n in range(1, len(more) + 1)]
                for form in spellings:
                    forms.setdefault(_key(form), _cased(form))
    return forms


def spelled(term: str, paper_texts: Sequence[str], reader_texts: Sequence[str]) -> str:
    """``term`` (a TF-IDF feature) in the longest form both the paper and the reader write it in.

    ``reader_texts``: the reader's declared interests first, then their liked titles (one text or several);
    the words after a term ("graph" -> "graph neural networks") come from the interests only, so that two
    words a paper and some liked title happen to share in a row are not read as the reader's phrase.

    With no such form, as the reader writes it bare, else as the paper does, else a one-word term itself: "shot"
    of a liked "Zero Shot Quantization" title stays "shot" in a paper on few-shot learning, and "network" stays
    "network" for a reader who wrote it, whatever sub-networks the paper has. A term of two words that neither
    side writes as such is ``""``, not said: the model's "networks gnns" is "neural networks (GNNs)" in an
    abstract, two words across a bracket, no phrase anyone wrote. So is a term the paper writes only inside a
    hyphenated word the reader writes otherwise: the "shot" of a reader's "zero-shot" in a few-shot paper.
    """
    if not term.split() or term.startswith(AUTHOR_PREFIX):
        return term
    paper = written_forms(term, paper_texts)
    reader = {**written_forms(term, reader_texts[1:], words_after=False), **written_forms(term, reader_texts[:1])}
    both = [k for k in reader if k in paper]
    if both:
        return reader[max(both, key=lambda k: len(k.split()))]
    bare = _key(term)
    inside = any(key.split()[1:] == bare.split() for key in paper)  # the paper writes "few-shot" only, no "shot"
    return reader.get(bare) or paper.get(bare) or ("" if inside or " " in term.strip() else term)


def said_terms(terms: Sequence[str], paper_texts: Sequence[str], reader_texts: Sequence[str]) -> list[str]:
    """``terms`` (best first) :func:`spelled`, two one-word terms both sides write as one phrase joined in it,
    and a term another one holds said once, in the longer form, at the place of the first.

    "node" and "classification" read "node classification" where the reader and the paper both write it;
    "efficient" and "inference", "efficient inference".
    """
    out = [spelled(t, paper_texts, reader_texts) for t in terms[:MAX_SAID_TERMS]]
    for i in range(len(out)):
        for j in range(i + 1, len(out)):
            a, b = out[i], out[j]
            if not (a and b) or " " in a + b or AUTHOR_PREFIX in a + b:
                continue
            for phrase in (f"{a} {b}", f"{b} {a}"):
                if _key(phrase) not in written_forms(phrase, paper_texts):  # the paper first: two texts, not every title
                    continue
                reader = written_forms(phrase, reader_texts)
                if _key(phrase) in reader:
                    out[i], out[j] = reader[_key(phrase)], ""
                    break
    return distinct_terms([t for t in out if t], len(out))


def distinct_terms(terms: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` terms, dropping any whose words all appear in a term already kept (plurals as singulars,
    hyphenated words as their parts); a term holding kept ones takes the place of the first of them.

    >>> distinct_terms(["shot learning", "shot", "zero shot", "zero", "graphs", "graph"], 4)
    ['shot learning', 'zero shot', 'graphs']
    >>> distinct_terms(["inference", "graph", "efficient inference"], 3)
    ['efficient inference', 'graph']
    >>> distinct_terms(["author:g_hinton", "author", "hinton"], 3)
    ['author:g_hinton', 'author']
    """
    def words(term: str) -> set[str]:  # an author token ("author:g_hinton") is its surname: "hinton"
        return {term.removeprefix(AUTHOR_PREFIX).rpartition("_")[2]} if term.startswith(AUTHOR_PREFIX) else set(_key(term).split())

    kept: list[str] = []
    for term in terms:
        mine = words(term)
        if any(mine <= words(k) for k in kept):
            continue
        held = [n for n, k in enumerate(kept) if words(k) <= mine]
        kept = [term if n == held[0] else k for n, k in enumerate(kept) if n not in held[1:]] if held else [*kept, term]
        if len(kept) == limit:
            break
    return kept
