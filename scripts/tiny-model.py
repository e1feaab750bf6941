#!/usr/bin/env python3
"""Writes cohos's tiny test models for llama.cpp's llama-server (GGUF, F32).

Two llama-architecture models of 2 layers and 64 dimensions, with the
Qwen2 vocabulary (copied from llama.cpp's vocab-only ggml-vocab-qwen2.gguf,
plus Qwen2.5's <tool_call>/</tool_call> tokens) and Qwen2.5-Instruct's chat
template (Hermes-style <tool_call> tool calls):

  random.gguf    normally distributed weights (fixed seed): at temperature 0
                 it writes text that is no tool call, a real model server
                 whose model cannot use tools.
  scripted.gguf  hand-set weights: a bigram table and one attention head.
                 Decoded greedily (its choices are the ones llama-server's
                 tool-call grammar accepts) it calls new_answer while the
                 prompt says "(no answers available yet)" and vote once
                 answers are in it.

Both files are byte-identical on every run (no clock, no randomness beyond
the fixed seed). Usage:
  tiny-model.py --vocab ggml-vocab-qwen2.gguf --template Qwen2.5.jinja --out-dir DIR
"""

import argparse
import os
import sys

import numpy as np
from gguf import GGUFReader, GGUFWriter, TokenType

N_EMBD = 64
N_LAYER = 2
N_FF = 128
N_CTX = 32768
ROPE_BASE = 1e6
EPS = 1e-6
SEED = 16

# Qwen2.5's added tokens that the vocab-only file leaves as padding.
ADDED = {151657: "<tool_call>", 151658: "</tool_call>"}
IM_END = 151645

# Residual-stream dimensions of the scripted model.
D_CONST = 0          # 1 in every token's embedding: carries the unigram bias
D_FEATURE = 61       # written by the attention head when the marker is in context
D_MARKER = 62        # the marker token's own dimension (its key and value)
FIRST_BIGRAM = 1     # dims 1..60: one per bigram source token

# The token whose presence in the context means "no answers yet": MassGen's
# first-round prompt says "(no answers available yet)"; no later prompt,
# system prompts included, has the word.
MARKER = "Ġavailable"

# How the scripted weights drive greedy decoding. llama-server (with
# --jinja and Qwen2.5's template) builds a lazy tool-call grammar whose
# trigger is the word "<tool_call>\n" (Qwen2.5 writes a newline after the
# tag): only once the model has written <tool_call> and a newline does the
# grammar constrain the rest to
#   {"name": "<tool>", "arguments": {<the tool's JSON schema>}} </tool_call>
# (optional whitespace between the JSON tokens), then end-of-generation.
#
# The grammar only checks the token the model picks; when it rejects it,
# llama.cpp applies the grammar to all 151k candidates, which costs about
# 200 ms a token on 2 cores and made a governed run's rounds 20 s long. So
# the model's unconstrained greedy choice is always one the grammar accepts:
# each reply is a fixed token path, spelled (among the tokenizations the
# grammar allows) so that every token on either path has a single successor,
# and a bigram table (one residual dimension per source token) walks it.
# The paths part only at the tool's name: a reply that must not vote
# (MassGen's final presentation offers new_answer without vote) turns into
# the new_answer path there, under the grammar, and finishes it.
NEW_ANSWER = ["<tool_call>", "ĊĊ", '{"', "name", '":"', "new", "_answer", '","', "arguments", '":{"',
              "content", '":', '"', "4", '"}}', "</tool_call>", "<|im_end|>"]
VOTE = ["<tool_call>", "ĊĊ", '{"', "name", '":"', "vote", '",', '"a', "rg", "uments", '":Ċ', 'Ġ{"',
        "agent", "_id", '"Ċ', ':"', "agen", "t", "1", '",Ċ', 'Ġ"', "reason", '":', '"', "4", '"}}',
        "</tool_call>", "<|im_end|>"]
# The generation prompt ends in a newline: the first step of both paths.
START = "Ċ"
FORK = '":"'
# Where the paths part (after '":"', the tool's name), vote gets
# BIGRAM_WEIGHT and new FORK_WEIGHT plus the boost the attention head adds
# when the marker is in the context: FEATURE_BOOST times the head's output
# (about 1.1) must exceed the difference (2) and stay far below
# BIGRAM_WEIGHT, since the boosted token gets it everywhere.
BIGRAM_WEIGHT = 20.0
FORK_WEIGHT = 18.0
FEATURE_BOOST = 6.0
# Tokens off both paths get UNLISTED (path tokens 0), so that wherever the
# grammar does constrain a choice, a path token wins it.
UNLISTED = -1.0


def successors(path):
    succ = {}
    for prev, nxt in zip([START] + path, path):
        if succ.setdefault(prev, nxt) != nxt:
            sys.exit(f"tiny-model: token {prev!r} has two successors on one path")
    return succ


def read_vocab(path):
    r = GGUFReader(path)
    f = r.fields
    tokens = list(f["tokenizer.ggml.tokens"].contents())
    types = list(f["tokenizer.ggml.token_type"].contents())
    merges = list(f["tokenizer.ggml.merges"].contents())
    for i, t in ADDED.items():
        if not tokens[i].startswith("[PAD"):
            sys.exit(f"tiny-model: token {i} is {tokens[i]!r}, expected padding")
        tokens[i] = t
        types[i] = TokenType.USER_DEFINED
    return {
        "tokens": tokens,
        "types": types,
        "merges": merges,
        "model": f["tokenizer.ggml.model"].contents(),
        "pre": f["tokenizer.ggml.pre"].contents(),
        "bos": int(f["tokenizer.ggml.bos_token_id"].contents()),
        "pad": int(f["tokenizer.ggml.padding_token_id"].contents()),
    }


def random_weights(n_vocab):
    rng = np.random.default_rng(SEED)
    w = {}

    def mat(name, rows, cols, scale):
        w[name] = (rng.standard_normal((rows, cols)) * scale).astype(np.float32)

    mat("token_embd.weight", n_vocab, N_EMBD, 1.0)
    for i in range(N_LAYER):
        p = f"blk.{i}."
        w[p + "attn_norm.weight"] = np.ones(N_EMBD, np.float32)
        for t in ("attn_q", "attn_k", "attn_v", "attn_output"):
            mat(p + t + ".weight", N_EMBD, N_EMBD, 0.2)
        w[p + "ffn_norm.weight"] = np.ones(N_EMBD, np.float32)
        mat(p + "ffn_gate.weight", N_FF, N_EMBD, 0.2)
        mat(p + "ffn_up.weight", N_FF, N_EMBD, 0.2)
        mat(p + "ffn_down.weight", N_EMBD, N_FF, 0.2)
    w["output_norm.weight"] = np.ones(N_EMBD, np.float32)
    mat("output.weight", n_vocab, N_EMBD, 0.2)
    return w


def scripted_weights(tokens):
    ix = {t: i for i, t in enumerate(tokens)}

    def tid(t):
        if t not in ix:
            sys.exit(f"tiny-model: token {t!r} is not in the vocabulary")
        return ix[t]

    n_vocab = len(tokens)
    emb = np.zeros((n_vocab, N_EMBD), np.float32)
    emb[:, D_CONST] = 1.0
    emb[tid(MARKER), D_MARKER] = 1.0
    out = np.zeros((n_vocab, N_EMBD), np.float32)
    out[:, D_CONST] = UNLISTED
    for t in set(NEW_ANSWER + VOTE):
        out[tid(t), D_CONST] = 0.0
    new, vote = successors(NEW_ANSWER), successors(VOTE)
    forks = [t for t in new if t in vote and new[t] != vote[t]]
    if forks != [FORK]:
        sys.exit(f"tiny-model: the paths part at {forks!r}, want only at {FORK!r}")
    sources = sorted(set(new) | set(vote))
    if len(sources) > D_FEATURE - FIRST_BIGRAM:
        sys.exit("tiny-model: too many bigram sources")
    for d, prev in enumerate(sources, start=FIRST_BIGRAM):
        emb[tid(prev), d] = 1.0
        n, v = new.get(prev), vote.get(prev)
        if v is not None:
            out[tid(v), d] = BIGRAM_WEIGHT
        if n is not None and n != v:
            out[tid(n), d] = FORK_WEIGHT if v is not None else BIGRAM_WEIGHT
            if v is not None:
                out[tid(n), D_FEATURE] = FEATURE_BOOST

    zeros = lambda *s: np.zeros(s, np.float32)  # noqa: E731
    w = {"token_embd.weight": emb}
    for i in range(N_LAYER):
        p = f"blk.{i}."
        q, k, v, o = zeros(N_EMBD, N_EMBD), zeros(N_EMBD, N_EMBD), zeros(N_EMBD, N_EMBD), zeros(N_EMBD, N_EMBD)
        if i == 0:
            # One head looks for the marker from every position: a constant
            # query meets a key only the marker has (in a dimension pair RoPE
            # barely turns), and the marker's value lands in D_FEATURE.
            q[D_MARKER, D_CONST] = 3.0
            k[D_MARKER, D_MARKER] = 3.0
            v[D_FEATURE, D_MARKER] = 0.2
            o[D_FEATURE, D_FEATURE] = 1.0
        w[p + "attn_norm.weight"] = np.ones(N_EMBD, np.float32)
        w[p + "attn_q.weight"], w[p + "attn_k.weight"] = q, k
        w[p + "attn_v.weight"], w[p + "attn_output.weight"] = v, o
        w[p + "ffn_norm.weight"] = np.ones(N_EMBD, np.float32)
        w[p + "ffn_gate.weight"] = zeros(N_FF, N_EMBD)
        w[p + "ffn_up.weight"] = zeros(N_FF, N_EMBD)
        w[p + "ffn_down.weight"] = zeros(N_EMBD, N_FF)
    w["output_norm.weight"] = np.ones(N_EMBD, np.float32)
    w["output.weight"] = out
    return w


def write(path, name, vocab, template, weights):
    tmp = path + ".tmp"
    g = GGUFWriter(tmp, "llama")
    g.add_name(name)
    g.add_context_length(N_CTX)
    g.add_embedding_length(N_EMBD)
    g.add_block_count(N_LAYER)
    g.add_feed_forward_length(N_FF)
    g.add_head_count(1)
    g.add_head_count_kv(1)
    g.add_rope_dimension_count(N_EMBD)
    g.add_rope_freq_base(ROPE_BASE)
    g.add_layer_norm_rms_eps(EPS)
    g.add_vocab_size(len(vocab["tokens"]))
    g.add_file_type(0)  # all F32
    g.add_tokenizer_model(vocab["model"])
    g.add_tokenizer_pre(vocab["pre"])
    g.add_token_list(vocab["tokens"])
    g.add_token_types(vocab["types"])
    g.add_token_merges(vocab["merges"])
    g.add_bos_token_id(vocab["bos"])
    g.add_eos_token_id(IM_END)
    g.add_pad_token_id(vocab["pad"])
    g.add_add_bos_token(False)
    g.add_chat_template(template)
    for tname in sorted(weights, key=tensor_order):
        g.add_tensor(tname, weights[tname])
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()
    os.replace(tmp, path)


def tensor_order(name):
    # token_embd, the blocks in order, then output_norm and output.
    if name.startswith("blk."):
        return (1, int(name.split(".")[1]), name)
    return (0 if name.startswith("token_embd") else 2, 0, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--only", choices=("random", "scripted"))
    a = ap.parse_args()
    vocab = read_vocab(a.vocab)
    with open(a.template, encoding="utf-8") as f:
        template = f.read()
    if a.only in (None, "random"):
        write(os.path.join(a.out_dir, "random.gguf"), "cohos-tiny-random", vocab, template,
              random_weights(len(vocab["tokens"])))
    if a.only in (None, "scripted"):
        write(os.path.join(a.out_dir, "scripted.gguf"), "cohos-tiny-scripted", vocab, template,
              scripted_weights(vocab["tokens"]))


if __name__ == "__main__":
    main()
