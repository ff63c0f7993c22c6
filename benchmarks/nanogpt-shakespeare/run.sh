#!/usr/bin/env bash
# The README's nanoGPT row: nanoGPT's CPU shakespeare-char recipe (4 layers, 4 heads, 128
# wide, context 64, batch 12, 2,000 iterations, AdamW 1e-3 with cosine decay to 1e-4) run
# by `distill train examples/tinyshakespeare-char-gpt.yaml`, one run per seed. Prints each
# seed's validation loss after 2,000 iterations (nats per character over the whole
# validation text, in windows of 64) and the training wall time, to compare with nanoGPT's
# reported ~1.88. About 3.5 minutes per seed on 2 cores.
#   benchmarks/nanogpt-shakespeare/run.sh        (SEEDS="0 1 2", OUT=folder for the runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/distillery-nanogpt}
mkdir -p "$out"
swift build -c release --product distill >&2
distill=$PWD/.build/release/distill

echo "| seed | val loss after 2,000 iterations | training time |"
echo "|---|---|---|"
for seed in ${SEEDS:-0}; do
    sed "s/^  seed: 0$/  seed: $seed/" examples/tinyshakespeare-char-gpt.yaml > "$out/seed-$seed.yaml"
    "$distill" train "$out/seed-$seed.yaml" --output "$out/seed-$seed" --fresh > "$out/seed-$seed.log"
    python3 - "$out/seed-$seed/summary.json" "$seed" <<'PY'
import json, sys
last = json.load(open(sys.argv[1]))["history"][-1]
print(f"| {sys.argv[2]} | {last['validation']['loss']:.3f} | {last['seconds']:.0f} s |")
PY
done
