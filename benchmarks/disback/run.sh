#!/usr/bin/env bash
# The README's DisBack curve: DMD2's recipe from an untrained generator on the 8 Gaussians,
# with and without DisBack's recorded degradation path (5 checkpoints 200 steps apart at
# 10⁻⁵, each the target of 2 epochs), 40 epochs of 32 generator steps, the SWD against
# 2,000 held-out points after each epoch. Prints, per seed, DMD's final SWD (the mean of its
# last 3 epochs) and the epoch at which each method first reaches it; draws both curves in
# benchmarks/disback/swd-against-steps.svg. About 1 minute a seed on 2 cores.
#   benchmarks/disback/run.sh            (SEEDS="71,72,73" for more seeds)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product distill >&2
.build/release/distill study disback --seeds "${SEEDS:-71,72}" --chart benchmarks/disback/swd-against-steps.svg
