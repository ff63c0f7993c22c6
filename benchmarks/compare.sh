#!/usr/bin/env bash
# Runs the workloads (W1–W4, W6–W8) in PyTorch (benchmarks/torch_workloads.py) and in Distillery
# (distill-bench workloads) on this machine, with the same thread count, and prints the
# ratio Swift/PyTorch for each (lower is better). The two alternate REPEATS times (default
# 3) and each side's median is used, so that drift in the machine's speed hits both alike.
# PyTorch is installed into a virtual environment (.venv-bench) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${THREADS:-$(nproc)}
repeats=${REPEATS:-3}
reference=${TORCH_REF:-benchmarks/torch_workloads.py}
venv=${VENV:-.venv-bench}
[ -f "$reference" ] || { echo "compare.sh: the PyTorch reference $reference is missing" >&2; exit 1; }

if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    echo "# installing PyTorch into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q torch numpy
fi

swift build -c release --product distill-bench >&2
torch_out=$(mktemp) swift_out=$(mktemp)
trap 'rm -f "$torch_out" "$swift_out"' EXIT
for _ in $(seq "$repeats"); do
    "$venv/bin/python" "$reference" "$threads" >> "$torch_out"
    .build/release/distill-bench workloads --threads "$threads" | grep -v '^#' >> "$swift_out"
done

# The median of a workload's seconds over the repeats.
median() { awk -v id="$1" '$1 == id { print $3 }' "$2" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $(nproc) cores, $threads threads each, median of $repeats alternating runs, torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
printf "%-4s %-16s %12s %12s %8s\n" id workload "swift (ms)" "torch (ms)" ratio
awk '!seen[$1]++ { print $1, $2 }' "$torch_out" | while read -r id name; do
    s=$(median "$id" "$swift_out") t=$(median "$id" "$torch_out")
    awk -v id="$id" -v name="$name" -v s="$s" -v t="$t" \
        'BEGIN { printf "%-4s %-16s %12.3f %12.3f %8.2f\n", id, name, s * 1000, t * 1000, s / t }'
done
