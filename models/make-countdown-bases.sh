#!/usr/bin/env bash
# Makes the three Countdown base models from scratch (models/countdown-{s,m,l}): the same 100,000 generated training
# problems (seed 1234, none of them a validation, test or clean-test problem), the same optimizer, batches and
# stopping rule (the first validation evaluation, every 50 steps, that solves at least 10% greedily); only the size
# differs. One LibTorch thread, so a rerun writes the same bits. Build first: mvn -B -q package -DskipTests
#   models/make-countdown-bases.sh [s|m|l ...]     (default: all three; about 5 min, 10 min, 50 min here)
# pretrain never writes over a model: remove models/countdown-<size> first to make it again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sets=data/countdown/validation_500.jsonl,data/countdown/test_500.jsonl,data/countdown/clean_test_1000.jsonl
for size in "${@:-s m l}"; do
  for s in $size; do
    case "$s" in
      s) shape=(--hidden 128 --layers 2) ;;   # 0.53M parameters
      m) shape=(--hidden 192 --layers 4) ;;   # 2.4M
      l) shape=(--hidden 256 --layers 8) ;;   # 8.4M
      *) echo "unknown size '$s' (s, m or l)" >&2; exit 2 ;;
    esac
    OMP_NUM_THREADS=1 bin/es-actors pretrain --task countdown --option prompt=compact --option generate=100000 \
      --option "exclude=$sets" --validation data/countdown/validation_500.jsonl --out "models/countdown-$s" \
      "${shape[@]}" --lr 2e-3 --warmup 100 --eval-every 50 --band 0.10,0.25 --seed 1234
  done
done
