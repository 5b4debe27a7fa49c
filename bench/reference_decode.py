#!/usr/bin/python3
"""The plain PyTorch eager loop that es-actors' decoder is measured against (bench --compare-reference).

Reads a Hugging Face Llama/Qwen2 directory (config.json, model.safetensors) without transformers, and decodes the
given prompts greedily with a preallocated KV cache: per step one embedding, per layer RMSNorm, q/k/v projections,
rotary embedding, cache write, attention, o projection, RMSNorm, SwiGLU MLP; then the final norm and the LM head on
the last position only. The same algorithm as the project's decoder, in the fewest obvious eager ops, as a user
would write it. A benchmark, not a test: Debian's python3-torch (1.13) with libopenblas0-pthread.

usage: reference_decode.py MODEL_DIR PROMPTS_JSON NEW_TOKENS REPEATS
  PROMPTS_JSON: a file holding a list of equal-length token id lists (the batch).
Prints one JSON line: {"seconds": best wall time of the decode loop, "tokens": the batch's generated ids}.
"""
import json
import struct
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def load(model_dir):
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    with open(model_dir + "/model.safetensors", "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    weights = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + start:8 + n + end]), dtype=DTYPES[entry["dtype"]])
        weights[name] = t.reshape(entry["shape"]).float()
    return cfg, weights


class Llama:
    def __init__(self, cfg, w):
        self.cfg = cfg
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads", self.heads)
        self.hidden = cfg["hidden_size"]
        self.head_dim = cfg.get("head_dim") or self.hidden // self.heads
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.layers = cfg["num_hidden_layers"]
        self.w = w
        self.embed = w["model.embed_tokens.weight"]
        self.head = self.embed if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
        theta = cfg.get("rope_theta", 10000.0)
        inv = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        pos = torch.arange(cfg["max_position_embeddings"], dtype=torch.float32)
        freqs = torch.outer(pos, inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()

    def norm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def rope(self, x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def lin(self, x, name):
        bias = self.w.get(name + ".bias")
        return torch.nn.functional.linear(x, self.w[name + ".weight"], bias)

    def forward(self, ids, start, cache, last_only=True):
        """Logits of the last position (or of every one), writing keys and values into cache (None: no cache,
        attention over ids alone, as a training forward does)."""
        b, t = ids.shape
        x = self.embed[ids]
        cos = self.cos[start:start + t].view(1, 1, t, -1)
        sin = self.sin[start:start + t].view(1, 1, t, -1)
        group = self.heads // self.kv_heads
        end = start + t
        causal = None
        if t > 1:
            causal = torch.full((t, end), float("-inf")).triu(start + 1)
        for i in range(self.layers):
            p = "model.layers.%d." % i
            h = self.norm(x, self.w[p + "input_layernorm.weight"])
            q = self.lin(h, p + "self_attn.q_proj").view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = self.lin(h, p + "self_attn.k_proj").view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = self.lin(h, p + "self_attn.v_proj").view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            if cache is None:
                keys, values = k, v
            else:
                cache[i][0][:, :, start:end] = k
                cache[i][1][:, :, start:end] = v
                keys, values = cache[i][0][:, :, :end], cache[i][1][:, :, :end]
            qg = q.reshape(b, self.kv_heads, group * t, self.head_dim)
            scores = torch.matmul(qg, keys.transpose(-1, -2)) / self.head_dim ** 0.5  # (B, Hkv, G*T, S)
            if causal is not None:
                scores = (scores.view(b, self.kv_heads, group, t, end) + causal).view(b, self.kv_heads, group * t, end)
            out = torch.matmul(torch.softmax(scores, -1), values).view(b, self.heads, t, self.head_dim)
            x = x + self.lin(out.transpose(1, 2).reshape(b, t, self.heads * self.head_dim), p + "self_attn.o_proj")
            h = self.norm(x, self.w[p + "post_attention_layernorm.weight"])
            mlp = torch.nn.functional.silu(self.lin(h, p + "mlp.gate_proj")) * self.lin(h, p + "mlp.up_proj")
            x = x + self.lin(mlp, p + "mlp.down_proj")
        last = self.norm(x[:, -1] if last_only else x, self.w["model.norm.weight"])
        return torch.nn.functional.linear(last, self.head)

    def generate(self, prompts, new_tokens):
        b, t = prompts.shape
        cache = [(torch.zeros(b, self.kv_heads, t + new_tokens, self.head_dim),
                  torch.zeros(b, self.kv_heads, t + new_tokens, self.head_dim)) for _ in range(self.layers)]
        logits = self.forward(prompts, 0, cache)
        out = []
        for step in range(new_tokens):
            nxt = logits.argmax(-1)
            out.append(nxt)
            if step == new_tokens - 1:
                break
            logits = self.forward(nxt.view(b, 1), t + step, cache)
        return torch.stack(out, 1)


def main():
    model_dir, prompts_file, new_tokens, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_grad_enabled(False)
    cfg, w = load(model_dir)
    model = Llama(cfg, w)
    with open(prompts_file) as f:
        prompts = torch.tensor(json.load(f), dtype=torch.long)
    model.generate(prompts, min(4, new_tokens))  # warm-up
    best, tokens = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        tokens = model.generate(prompts, new_tokens)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"seconds": best, "tokens": tokens.tolist(), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
