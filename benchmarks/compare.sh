#!/usr/bin/env bash
# Runs the four workloads in PyTorch (../shared/bench/torch_ref.py) and in Distillery
# (distill-bench workloads) on this machine, with the same thread count, and prints the
# ratio Swift/PyTorch for each (lower is better). PyTorch is installed into a virtual
# environment (.venv-bench) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${THREADS:-$(nproc)}
reference=${TORCH_REF:-../shared/bench/torch_ref.py}
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
"$venv/bin/python" "$reference" "$threads" > "$torch_out"
.build/release/distill-bench workloads --threads "$threads" > "$swift_out"

echo "# $(nproc) cores, $threads threads each, torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
printf "%-4s %-16s %12s %12s %8s\n" id workload "swift (ms)" "torch (ms)" ratio
while read -r id name torch_seconds; do
    swift_seconds=$(awk -v id="$id" '$1 == id { print $3 }' "$swift_out")
    awk -v id="$id" -v name="$name" -v s="$swift_seconds" -v t="$torch_seconds" \
        'BEGIN { printf "%-4s %-16s %12.3f %12.3f %8.2f\n", id, name, s * 1000, t * 1000, s / t }'
done < "$torch_out"
