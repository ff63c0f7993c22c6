#!/usr/bin/env bash
# The README's generative digits table: the classifier whose penultimate features score the
# samples (examples/digits-teacher.yaml), the class-conditional flow-matching teacher
# (examples/digits-flow-teacher.yaml), then its samples at 1–64 Euler steps, 8 and 32 Heun
# steps, and 32 Euler steps with guidance 2, each scored by FD, precision, recall and
# conditional accuracy against the 359 validation digits. About two minutes on 2 cores.
#   benchmarks/generative-digits/run.sh            (OUT=folder to keep the runs elsewhere)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/distillery-generative-digits}
mkdir -p "$out"
swift build -c release --product distill >&2
distill=.build/release/distill

# The examples with their outputs moved under $out (the configs have no other relative path).
sed "s|^output: .*|output: $out/classifier|" examples/digits-teacher.yaml > "$out/classifier.yaml"
sed "s|^output: .*|output: $out/flow|" examples/digits-flow-teacher.yaml > "$out/flow.yaml"
start=$(date +%s)
"$distill" train "$out/classifier.yaml" --fresh > "$out/classifier.log"
"$distill" train "$out/flow.yaml" --fresh > "$out/flow.log"
echo "# the classifier's validation top-1: $(grep '^| final' "$out/classifier.log" | cut -d'|' -f3 | tr -d ' '); classifier and teacher trained in $(( $(date +%s) - start )) s"

echo "| sampler | steps | NFE | FD | precision | recall | conditional accuracy | seconds (359 samples) |"
echo "|---|---|---|---|---|---|---|---|"
sample() {  # sampler steps [guidance]
    local report
    report=$("$distill" sample "$out/flow.yaml" --sampler "$1" --steps "$2" --guidance "${3:-1}" --count 359 --score-with "$out/classifier.yaml")
    echo "$report" | awk -v sampler="$1${3:+, guidance $3}" -v steps="$2" '
        / NFE, / { nfe = $6; seconds = $8 }
        /^FD / { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", sampler, steps, nfe, $2, $4, $6, $9, seconds }'
}
for steps in 1 2 4 8 16 64; do sample euler "$steps"; done
for steps in 8 32; do sample heun "$steps"; done
sample euler 32 2
echo
echo "grids: $out/flow/samples/*.png"
