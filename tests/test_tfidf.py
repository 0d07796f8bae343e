import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from recommender.text.frozen import FrozenTfidf
from recommender.text.tfidf import PaperText, PaperVectorizer, StaleModelError, author_token

PAPERS = [
    PaperText("Deep learning for image recognition", "convolutional networks on images", ("Yann LeCun",)),
    PaperText("Graph neural networks", "message passing on graphs", ("Thomas Kipf",)),
    PaperText("Convolutional networks for images", "image classification", ("Y. LeCun",)),
    PaperText("Markov chain Monte Carlo", "sampling from posteriors", ()),
]


def test_rows_are_unit_norm_and_authors_are_features():
    vec = PaperVectorizer().fit(PAPERS)
    x = vec.transform(PAPERS)
    assert x.shape == (4, vec.n_features_)
    np.testing.assert_allclose(np.sqrt(x.multiply(x).sum(axis=1)).A1, 1.0, rtol=1e-5)
    names = list(vec.feature_names())
    assert "author:y_lecun" in names  # both spellings map to one token
    assert "convolutional networks" in names  # bigram
    # the two LeCun papers share the author feature
    col = names.index("author:y_lecun")
    assert x[0, col] > 0 and x[2, col] > 0 and x[1, col] == 0


def test_author_token_normalises_names():
    assert author_token("Geoffrey E. Hinton") == author_token("G. Hinton") == "author:g_hinton"
    assert author_token("  ") == ""


def test_transform_text_same_space_without_authors():
    vec = PaperVectorizer().fit(PAPERS)
    q = vec.transform_text(["monte carlo sampling"])
    assert q.shape == (1, vec.n_features_)
    assert q[:, vec.is_author_feature()].nnz == 0
    sims = (vec.transform(PAPERS) @ q.T).toarray().ravel()
    assert int(np.argmax(sims)) == 3
    with pytest.raises(TypeError):
        vec.transform_text("a single string")


def test_bytes_roundtrip_does_not_refit(monkeypatch):
    vec = PaperVectorizer().fit(PAPERS)
    data = vec.to_bytes()
    monkeypatch.setattr(PaperVectorizer, "fit", lambda *a, **k: pytest.fail("refit on load"))
    loaded = PaperVectorizer.from_bytes(data)
    assert (abs(loaded.transform(PAPERS) - vec.transform(PAPERS))).sum() == 0
    assert list(loaded.feature_names()) == list(vec.feature_names())


def test_a_model_stored_as_joblib_bytes_by_an_earlier_version_still_loads():
    import io

    import joblib
    vec = PaperVectorizer().fit(PAPERS)
    buf = io.BytesIO()
    joblib.dump(vec, buf, compress=3)
    loaded = PaperVectorizer.from_bytes(buf.getvalue())
    assert (abs(loaded.transform(PAPERS) - vec.transform(PAPERS))).sum() == 0


def test_from_bytes_rejects_other_objects():
    import io

    import joblib
    buf = io.BytesIO()
    joblib.dump({"not": "a model"}, buf)
    with pytest.raises(TypeError):
        PaperVectorizer.from_bytes(buf.getvalue())


def test_from_bytes_of_a_model_from_the_old_layout_says_stale():
    # a pickle naming a module that no longer exists, as models stored before recommender/model.py moved do
    # (not recommender.model itself: an editable install of an older checkout may still provide it)
    legacy = b"\x80\x04crecommender.retired_module\nPaperVectorizer\n)\x81."
    with pytest.raises(StaleModelError, match="older paperbot layout"):
        PaperVectorizer.from_bytes(legacy)


def test_unfitted_and_empty():
    with pytest.raises(NotFittedError):
        PaperVectorizer().transform(PAPERS)
    with pytest.raises(ValueError):
        PaperVectorizer().fit([])


def test_needs_refit_policy():
    vec = PaperVectorizer(refit_growth=0.5, min_fit_papers=3)
    assert vec.needs_refit(10)  # never fitted
    vec.fit(PAPERS)  # 4 papers >= min_fit_papers
    assert not vec.needs_refit(4)
    assert not vec.needs_refit(6)  # +50 % exactly: not more than
    assert vec.needs_refit(7)
    small = PaperVectorizer(min_fit_papers=200).fit(PAPERS)
    assert not small.needs_refit(4) and small.needs_refit(5)


def _sklearn_rows(vec, papers):
    # the rows as scikit-learn's own TfidfVectorizer gives them: the oracle the frozen model must equal
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    words = vec.words_.transform([f"{p.title}\n{p.abstract}" if p.abstract else p.title for p in papers])
    authors = vec.authors_.transform([p.authors for p in papers]) * np.float32(vec.author_weight)
    return normalize(sp.hstack([words, authors], format="csr", dtype=np.float32))


MIXED = [
    PaperText("Café-au-lait naïve Bayes: the Über model", "Naïve naive NAIVE bayes bayes bayes, résumé of x_1 and 2d",
              ("José Müller", "J. Muller", "")),
    PaperText("Graph neural networks", "graph graph graph message passing on graphs", ("Thomas Kipf", "Max Welling")),
    PaperText("Deep learning for image recognition", "", ("Yann LeCun",)),
    PaperText("The and of", "", ()),  # stop words only: a zero row
    PaperText("Convolutional networks for images", "image classification with deep convolutional networks",
              ("Y. LeCun", "Thomas Kipf")),
] * 5


def test_frozen_rows_equal_scikit_learns_rows_to_the_bit():
    vec = PaperVectorizer().fit(MIXED + PAPERS)
    ours, theirs = vec.transform(MIXED + PAPERS), _sklearn_rows(vec, MIXED + PAPERS)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    assert (ours != theirs).nnz == 0
    assert ours[3].nnz == 0  # a paper of stop words
    q = ["naïve Bayes graph", "message passing message", "nothing known here"]
    theirs_q = _sklearn_rows(vec, [PaperText(t) for t in q])
    assert (vec.transform_text(q) != theirs_q).nnz == 0


def test_frozen_model_round_trips_through_bytes_and_old_models_convert():
    vec = PaperVectorizer().fit(MIXED)
    frozen = vec.frozen()
    loaded = FrozenTfidf.from_bytes(frozen.to_bytes())
    assert (loaded.transform(MIXED) != vec.transform(MIXED)).nnz == 0
    assert list(loaded.feature_names()) == list(vec.feature_names())
    assert loaded.stop_words == frozen.stop_words and "the" in loaded.stop_words
    assert loaded.n_papers_fit_ == len(MIXED) and loaded.needs_refit(len(MIXED) + 1) == vec.needs_refit(len(MIXED) + 1)
    old = FrozenTfidf.from_bytes(vec.to_bytes())  # a model stored by an earlier version: a pickled PaperVectorizer
    assert (old.transform(MIXED) != vec.transform(MIXED)).nnz == 0
    with pytest.raises(TypeError):
        FrozenTfidf.from_bytes(b"paperbot-tfidf frozen1\n" + __import__("zlib").compress(__import__("pickle").dumps([1])))


def test_the_command_layer_imports_without_scikit_learn():
    # a search from the command line never pays scikit-learn's import (a second or more); fitting imports it
    import subprocess
    import sys

    code = ("import sys, bot.commands, bot.cli.main, recommender.store_search\n"
            "assert 'sklearn' not in sys.modules, sorted(m for m in sys.modules if m.startswith('sklearn'))[:3]")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_document_frequency_is_read_back_from_the_idf():
    texts = [PaperText("graph neural networks for molecules"), PaperText("graph transformers"),
             PaperText("diffusion models"), PaperText("graph diffusion"), PaperText("language models")] * 3
    frozen = PaperVectorizer(min_df=1, max_df=1.0).fit(texts).frozen()
    assert frozen.document_frequency("graph") == pytest.approx(9, abs=1e-4)
    assert frozen.document_frequency("transformers") == pytest.approx(3, abs=1e-4)
    assert frozen.document_frequency("zebrafish") is None
