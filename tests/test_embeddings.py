"""The packaged sentence encoder: same vectors as a textbook forward pass, meaning over words, stored once per version."""

import numpy as np
import pytest
from scipy.special import erf
from sqlalchemy import select

from recommender.store import Paper, PaperEmbedding
from recommender.text.embeddings import PaperEmbedder, center, embedding_text, unavailable_reason
from recommender.text.vectors import count_missing, embed_missing, embeddings_for, load_embeddings

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))

TEXTS = [
    "Graph neural networks. Message passing over atoms and bonds predicts molecular properties.",
    "Diffusion models for video generation",
    "A survey of bird migration and magnetic navigation across continents over many years of observation",
]


@pytest.fixture(scope="module")
def embedder():
    return PaperEmbedder.load()


def reference_forward(folder, texts):
    """BERT as in Devlin et al. 2019, one layer at a time in numpy, mean pooled and normalised (sentence-transformers)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    w = load_file(str(folder / "model.safetensors"))
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    out = []
    for text in texts:
        enc = tok.encode(text)  # tokenizer.json pads to a fixed length: keep the real tokens
        ids = np.array(enc.ids)[np.array(enc.attention_mask) == 1][:256]
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
        x = x + w["embeddings.token_type_embeddings.weight"][0]

        def norm(v, p):
            mu, var = v.mean(-1, keepdims=True), v.var(-1, keepdims=True)
            return (v - mu) / np.sqrt(var + 1e-12) * w[p + ".weight"] + w[p + ".bias"]

        def dense(v, p):
            return v @ w[p + ".weight"].T + w[p + ".bias"]

        x = norm(x, "embeddings.LayerNorm")
        for i in range(6):
            p = f"encoder.layer.{i}."
            q, k, v = (dense(x, p + f"attention.self.{n}").reshape(len(ids), 12, 32).transpose(1, 0, 2)
                       for n in ("query", "key", "value"))
            a = q @ k.transpose(0, 2, 1) / np.sqrt(32)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(1, 0, 2).reshape(len(ids), 384)
            x = norm(dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = dense(x, p + "intermediate.dense")
            x = norm(dense(0.5 * h * (1 + erf(h / np.sqrt(2))), p + "output.dense") + x, p + "output.LayerNorm")
        m = x.mean(0)
        out.append(m / np.linalg.norm(m))
    return np.array(out)


def test_vectors_match_a_textbook_forward_pass(embedder):
    ref = reference_forward(embedder.model_dir, TEXTS)
    exact = PaperEmbedder(embedder.model_dir, int8=False).encode(TEXTS)
    assert np.sum(exact * ref, axis=1) == pytest.approx(1.0, abs=1e-4)
    quantized = embedder.encode(TEXTS)
    assert np.all(np.sum(quantized * ref, axis=1) > 0.97)  # int8 weights: close, not equal
    assert np.linalg.norm(quantized, axis=1) == pytest.approx(1.0, abs=1e-5)
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_a_vector_does_not_depend_on_the_texts_embedded_beside_it():
    """int8 activations are quantised per forward pass: a paper's vector must not depend on its digest's other papers."""
    title = "Diffusion models for video generation"
    others = [title, "A survey of bird migration", TEXTS[0] * 3, "GNNs"]
    alone, beside = PaperEmbedder.load(), PaperEmbedder.load()  # two models: no vector remembered from the other
    assert np.array_equal(alone.encode([title])[0], beside.encode(others)[0])
    assert np.array_equal(alone.encode([TEXTS[0] * 3])[0], beside.encode(others)[2])
    assert alone.version.endswith("/alone") and PaperEmbedder.load(batch_size=32).version == alone.version.removesuffix("/alone")


def test_meaning_over_shared_words(embedder):
    query, gnn, chroma = embedder.encode([
        "graph neural networks",
        "message passing neural networks for molecules",
        "graph of retention times in gas chromatography",
    ])
    assert query @ gnn > query @ chroma + 0.1  # the chromatography title shares the word "graph", not the meaning
    query, denoise, gas = embedder.encode([
        "diffusion models for image generation",
        "denoising score matching generates realistic pictures",
        "diffusion of gases in chromatography columns",
    ])
    assert query @ denoise > query @ gas + 0.1


def test_center_removes_the_common_direction():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 8)) + 5.0
    out = center(rows, rows.mean(axis=0))
    assert np.linalg.norm(out, axis=1) == pytest.approx(1.0)
    assert np.abs(out.mean(axis=0)).max() < 0.2
    assert embedding_text(" Title ", "") == "Title" and embedding_text("T", "Abs.") == "T. Abs."


def add_papers(store, n=5):
    with store.session() as s:
        for i in range(n):
            s.add(Paper(title_key=f"p{i}", title=TEXTS[i % 3] + f" {i}", abstract="", authors=[], source_kind="hf_api"))


def test_embed_missing_stores_each_paper_once_per_version(store, embedder):
    add_papers(store)
    seen = []
    assert embed_missing(store, embedder, batch_size=2, progress=lambda done, total: seen.append((done, total))) == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert embed_missing(store, embedder) == 0  # reused, not recomputed
    with store.session() as s:
        ids = s.scalars(select(Paper.id).order_by(Paper.id)).all()
        stored = load_embeddings(s, ids, embedder)
        assert np.linalg.norm(stored, axis=1) == pytest.approx(1.0, abs=1e-5)
        again = embedder.encode([p.title for p in s.scalars(select(Paper).order_by(Paper.id))])
        assert np.all(np.sum(stored * again, axis=1) > 0.99)  # int8 activations are quantised per batch: near, not bit-equal
        shorter = PaperEmbedder(embedder.model_dir, max_tokens=64)
        assert shorter.version != embedder.version and count_missing(s, shorter) == 5  # never mixed
        assert not load_embeddings(s, ids, shorter).any()


def test_embeddings_for_fills_the_gaps_in_the_callers_transaction(store, embedder):
    add_papers(store, 3)
    with store.session() as s:
        papers = s.scalars(select(Paper).order_by(Paper.id)).all()
        vectors = embeddings_for(s, [papers[0], papers[0], papers[2]], embedder)
        assert vectors[0] == pytest.approx(vectors[1]) and vectors.shape == (3, embedder.dim)
    with store.session() as s:
        assert sorted(s.scalars(select(PaperEmbedding.paper_id)).all()) == [papers[0].id, papers[2].id]


def test_search_finds_papers_by_meaning_not_only_shared_words(embedder):
    from recommender.ranking import Ranker
    from recommender.search import _centered_cosines, search
    from recommender.text.tfidf import PaperText, PaperVectorizer

    titles = ["Denoising score matching generates realistic pictures",
              "Diffusion of gases in chromatography columns",
              "A survey of bird migration", "Protein folding with energy landscapes",
              "Image generation models trained on web photos"]
    vec = PaperVectorizer().fit([PaperText(t) for t in titles])
    x = vec.transform([PaperText(t) for t in titles])
    emb = embedder.encode(titles)
    query = "diffusion models for image generation"
    lexical = search(Ranker(vec), query, x, k=5)
    assert {i for i, _ in lexical} == {1, 4}  # the papers sharing a word
    hybrid = [i for i, _ in search(Ranker(vec, embedder=embedder), query, x, k=5, embeddings=emb)]
    assert hybrid.index(0) < hybrid.index(1)  # denoising (no shared word) above the gas "diffusion" paper
    mean = emb.mean(axis=0)
    q = center(embedder.encode(["diffusion models"]), mean)[0]
    assert _centered_cosines(emb, mean, q) == pytest.approx(center(emb, mean) @ q, abs=1e-5)


def test_a_process_with_the_cached_int8_model_neither_builds_the_graph_nor_imports_onnx(embedder, tmp_path):
    import json
    import subprocess
    import sys

    env = {"PAPERBOT_CACHE_DIR": str(tmp_path), "PATH": "", "HOME": str(tmp_path)}
    code = ("import json, logging, sys\nlogging.basicConfig(level=logging.INFO)  # the level paperbot runs at\n"
            "from recommender.text.embeddings import PaperEmbedder\n"
            f"vectors = PaperEmbedder.load().encode({TEXTS!r})\n"
            "print(json.dumps({'onnx': 'onnx' in sys.modules, 'vectors': vectors.tolist()}))")

    def run():
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        assert "pre-processing" not in done.stderr  # onnxruntime's advice is not shown to users
        assert "Quantization parameters" not in done.stderr  # nor the quantiser's INFO lines, 42 at the first start
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = run()  # builds the graph, quantises it and caches it
    assert first["onnx"] and len(list((tmp_path / "models").glob("*.onnx"))) == 1
    second = run()
    assert not second["onnx"]
    assert np.allclose(second["vectors"], first["vectors"], atol=1e-6)
    assert np.allclose(second["vectors"], embedder.encode(TEXTS), atol=1e-5)
