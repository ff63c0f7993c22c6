#!/usr/bin/env bash
# The README's rationale-distillation table: on the chain-arithmetic task (one-digit
# operands joined by + - *, worked left to right modulo 10), a 4-layer teacher trained on
# true worked answers annotates 1,000 questions; 2-layer students learn from its answers
# alone, from its greedy rationales, and by QCRD (its rationales sampled at T = 0.8 and kept
# by self-consistency of 8, against the student's own from its previous iteration). Prints
# each student's accuracy on 500 held-out questions per seed and the annotations' accuracy.
# About 10 minutes on 2 cores for 3 seeds.
#   benchmarks/qcrd/run.sh            (SEEDS="0,1,2,3,4" for more seeds)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product distill >&2
.build/release/distill study rationale --seeds "${SEEDS:-0,1,2}"
