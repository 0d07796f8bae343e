"""all-MiniLM-L6-v2 as an ONNX graph, built from the packaged ``model.safetensors``.

The network is BERT (Devlin et al. 2019, "BERT: Pre-training of deep
bidirectional transformers for language understanding", NAACL) in the 6-layer,
384-wide MiniLM distillation (Wang et al. 2020, "MiniLM: Deep self-attention
distillation", NeurIPS), fine-tuned as a sentence encoder by
sentence-transformers (https://www.sbert.net, model card of
``sentence-transformers/all-MiniLM-L6-v2``): mean of the last hidden states
over the real tokens, then L2 normalisation.

The graph uses onnxruntime's fused CPU operators (``Attention``,
``SkipLayerNormalization``, ``BiasGelu`` in the ``com.microsoft`` domain) and
is assembled with ``onnx.helper``; no PyTorch is involved anywhere.  Inputs:
``input_ids`` and ``attention_mask``, int64, shape (batch, seq); output:
``embedding``, float32, shape (batch, 384), unit rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["build_graph"]

_INT64 = np.int64


def build_graph(weights: Mapping[str, np.ndarray], *, n_layers: int = 6, n_heads: int = 12,
                layer_norm_eps: float = 1e-12):
    """The sentence encoder as an ``onnx.ModelProto``.

    Parameters
    ----------
    weights : mapping of str to ndarray
        The BERT state dict as stored in ``model.safetensors`` (names as in
        Hugging Face ``BertModel``: ``embeddings.word_embeddings.weight``,
        ``encoder.layer.{i}.attention.self.query.weight``, ...).
    n_layers, n_heads : int
        6 and 12 for all-MiniLM-L6-v2.
    layer_norm_eps : float

    Returns
    -------
    onnx.ModelProto
        Opset 17 plus ``com.microsoft`` 1.

    Raises
    ------
    KeyError
        If a weight of the architecture is missing.
    """
    from onnx import TensorProto, helper, numpy_helper

    w = weights
    hidden = w["embeddings.word_embeddings.weight"].shape[1]
    inits: list = []
    nodes: list = []
    count = [0]

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(kind: str, inputs: list[str], domain: str = "", **attrs) -> str:
        count[0] += 1
        out = f"{kind.lower()}_{count[0]}"
        nodes.append(helper.make_node(kind, inputs, [out], domain=domain, **attrs))
        return out

    def skip_norm(x: str, residual: str, dense: str, norm: str, i: int) -> str:
        return op("SkipLayerNormalization",
                  [x, residual, const(f"{norm}{i}.w", w[f"{norm_prefix(i, norm)}.weight"]),
                   const(f"{norm}{i}.b", w[f"{norm_prefix(i, norm)}.bias"]),
                   const(f"{dense}{i}.b", w[f"{dense_prefix(i, dense)}.bias"])],
                  domain="com.microsoft", epsilon=layer_norm_eps)

    ids, mask = "input_ids", "attention_mask"
    word = op("Gather", [const("word", w["embeddings.word_embeddings.weight"]), ids], axis=0)
    seq = op("Gather", [op("Shape", [ids]), const("one", np.array([1], dtype=_INT64))], axis=0)
    # token type is always 0: fold its embedding into the position table
    pos_table = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    pos = op("Slice", [const("pos", pos_table), const("zero", np.array([0], dtype=_INT64)), seq,
                       const("axis0", np.array([0], dtype=_INT64))])
    x = op("LayerNormalization", [op("Add", [word, pos]), const("eln.w", w["embeddings.LayerNorm.weight"]),
                                  const("eln.b", w["embeddings.LayerNorm.bias"])], axis=-1, epsilon=layer_norm_eps)
    mask32 = op("Cast", [mask], to=TensorProto.INT32)
    for i in range(n_layers):
        p = f"encoder.layer.{i}.attention.self."
        qkv_w = np.concatenate([w[p + n + ".weight"].T for n in ("query", "key", "value")], axis=1)
        qkv_b = np.concatenate([w[p + n + ".bias"] for n in ("query", "key", "value")])
        att = op("Attention", [x, const(f"qkv{i}.w", qkv_w), const(f"qkv{i}.b", qkv_b), mask32],
                 domain="com.microsoft", num_heads=n_heads)
        out = op("MatMul", [att, const(f"attn_out{i}.w", w[f"encoder.layer.{i}.attention.output.dense.weight"].T)])
        x = skip_norm(out, x, "attn_out", "attn_norm", i)
        inner = op("MatMul", [x, const(f"inter{i}.w", w[f"encoder.layer.{i}.intermediate.dense.weight"].T)])
        inner = op("BiasGelu", [inner, const(f"inter{i}.b", w[f"encoder.layer.{i}.intermediate.dense.bias"])],
                   domain="com.microsoft")
        out = op("MatMul", [inner, const(f"out{i}.w", w[f"encoder.layer.{i}.output.dense.weight"].T)])
        x = skip_norm(out, x, "out", "out_norm", i)
    # mean over real tokens, then unit length
    maskf = op("Unsqueeze", [op("Cast", [mask], to=TensorProto.FLOAT), const("axis2", np.array([2], dtype=_INT64))])
    axis1 = const("axis1", np.array([1], dtype=_INT64))
    summed = op("ReduceSum", [op("Mul", [x, maskf]), axis1], keepdims=0)
    tokens = op("ReduceSum", [maskf, axis1], keepdims=0)
    mean = op("Div", [summed, op("Max", [tokens, const("tiny", np.array(1e-9, dtype=np.float32))])])
    norm = op("ReduceL2", [mean], axes=[-1], keepdims=1)
    nodes.append(helper.make_node("Div", [mean, op("Max", [norm, const("tiny2", np.array(1e-12, dtype=np.float32))])],
                                  ["embedding"]))
    graph = helper.make_graph(
        nodes, "sentence_encoder",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model


def norm_prefix(i: int, which: str) -> str:
    """State-dict prefix of layer ``i``'s LayerNorm after attention (``attn_norm``) or the feed-forward (``out_norm``)."""
    return f"encoder.layer.{i}.attention.output.LayerNorm" if which == "attn_norm" else f"encoder.layer.{i}.output.LayerNorm"


def dense_prefix(i: int, which: str) -> str:
    """State-dict prefix of layer ``i``'s attention output (``attn_out``) or feed-forward output (``out``) dense layer."""
    return f"encoder.layer.{i}.attention.output.dense" if which == "attn_out" else f"encoder.layer.{i}.output.dense"
