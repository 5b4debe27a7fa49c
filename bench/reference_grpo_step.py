#!/usr/bin/python3
"""The plain PyTorch eager GRPO step that es-actors' GRPO step is measured against (bench grpo-step).

The same step as es-actors' GrpoLearner, in the fewest obvious eager ops, as a user would write it without a
framework: the prompts repeated G times, sampled at a temperature with a preallocated KV cache (rows that chose the
end-of-sequence token stop; the batch goes on until every row has), a reward per completion, advantages normalised
within each group (mean and standard deviation), then a training forward over prompt and completion (no cache),
log-probabilities of the completion tokens under softmax(logits / T), the clipped surrogate loss averaged over tokens
(one pass, so the ratio is 1), backward, clip_grad_norm_, and one AdamW step. The model is reference_decode.py's.
A benchmark, not a test: Debian's python3-torch (1.13) with libopenblas0-pthread.

usage: reference_grpo_step.py MODEL_DIR PROMPTS_JSON GROUP NEW_TOKENS STEPS SETTINGS_JSON
  PROMPTS_JSON: a list of equal-length token id lists (the step's prompts).
  SETTINGS_JSON: {"temperature", "lr", "beta1", "beta2", "eps", "weight_decay", "grad_clip", "clip_epsilon",
                  "eos": [ids]}
Prints one JSON line: {"seconds": [each measured step's wall time], "trained": [its completion tokens], "threads"}.
The reward of a completion is the share of its tokens that are even (a cheap function that varies within groups).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_decode import Llama, load  # noqa: E402


def sample(model, rows, new_tokens, temperature, eos, generator):
    """Sampled completions (B, N) and their lengths (the end-of-sequence token included when chosen)."""
    b, t = rows.shape
    cache = [(torch.zeros(b, model.kv_heads, t + new_tokens, model.head_dim),
              torch.zeros(b, model.kv_heads, t + new_tokens, model.head_dim)) for _ in range(model.layers)]
    logits = model.forward(rows, 0, cache)
    tokens = torch.zeros(b, new_tokens, dtype=torch.long)
    lengths = torch.full((b,), new_tokens, dtype=torch.long)
    done = torch.zeros(b, dtype=torch.bool)
    for step in range(new_tokens):
        probs = torch.softmax(logits / temperature, -1)
        nxt = torch.multinomial(probs, 1, generator=generator).view(b)
        nxt = torch.where(done, torch.zeros_like(nxt), nxt)
        tokens[:, step] = nxt
        ended = ~done & torch.isin(nxt, eos)
        lengths = torch.where(ended, torch.full_like(lengths, step + 1), lengths)
        done = done | ended
        if bool(done.all()) or step == new_tokens - 1:
            break
        logits = model.forward(nxt.view(b, 1), t + step, cache)
    return tokens, lengths


def step(model, params, optimizer, prompts, group, new_tokens, s, eos, generator):
    rows = prompts.repeat_interleave(group, 0)
    with torch.no_grad():
        tokens, lengths = sample(model, rows, new_tokens, s["temperature"], eos, generator)
    b, t = rows.shape
    n = int(lengths.max())
    tokens = tokens[:, :n]
    mask = (torch.arange(n).view(1, n) < lengths.view(b, 1)).float()
    rewards = ((tokens % 2 == 0).float() * mask).sum(1) / lengths.float()
    grouped = rewards.view(-1, group)
    advantages = ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-4)).view(b)
    optimizer.zero_grad()
    logits = model.forward(torch.cat((rows, tokens), 1), 0, None, last_only=False)[:, t - 1:t - 1 + n]
    logp = torch.log_softmax(logits / s["temperature"], -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    ratio = torch.exp(logp - logp.detach())
    a = advantages.view(b, 1)
    surrogate = torch.min(ratio * a, torch.clamp(ratio, 1 - s["clip_epsilon"], 1 + s["clip_epsilon"]) * a)
    loss = -(surrogate * mask).sum() / mask.sum().clamp(min=1)
    loss.backward()
    if s["grad_clip"] > 0:
        torch.nn.utils.clip_grad_norm_(params, s["grad_clip"])
    optimizer.step()
    return int(lengths.sum())  # completion tokens trained on, the end-of-sequence token included when chosen


def main():
    model_dir, prompts_file = sys.argv[1], sys.argv[2]
    group, new_tokens, steps = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    with open(sys.argv[6]) as f:
        s = json.load(f)
    cfg, w = load(model_dir)
    params = [p.requires_grad_(True) for p in w.values()]
    model = Llama(cfg, w)
    optimizer = torch.optim.AdamW(params, lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"],
                                  weight_decay=s["weight_decay"])
    with open(prompts_file) as f:
        prompts = torch.tensor(json.load(f), dtype=torch.long)
    eos = torch.tensor(s["eos"], dtype=torch.long)
    generator = torch.Generator().manual_seed(0)
    step(model, params, optimizer, prompts, group, min(4, new_tokens), s, eos, generator)  # warm-up
    seconds, trained = [], []
    for _ in range(steps):
        start = time.perf_counter()
        trained.append(step(model, params, optimizer, prompts, group, new_tokens, s, eos, generator))
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "trained": trained, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
