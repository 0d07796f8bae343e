import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

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
