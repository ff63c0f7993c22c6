#!/usr/bin/env bash
# The workloads W1–W4 on each BLAS core setting, one after the other in one run, with the
# core each ran on: as this environment stands; on a simulated processor that OpenBLAS
# does not know (its own choice made the generic Prescott by the test shim
# Tests/TensorsTests/Fixtures/generic-core-shim.c), before (the generic core kept) and
# after (Distillery's re-execution onto the best core); and OpenBLAS's own choice with no
# variable set. Optionally PyTorch's figures (VENV with torch) beside them.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-$(nproc)}
swift build -c release --product distill-bench >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O1 -o "$work/shim.so" Tests/TensorsTests/Fixtures/generic-core-shim.c -ldl

run() {  # label, then env arguments
    local label=$1; shift
    echo "## $label"
    env "$@" .build/release/distill-bench workloads --threads "$threads" | grep -v '^# processor'
}
run "as the environment stands (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})"
run "generic core, before: OpenBLAS's Prescott kept" LD_PRELOAD="$work/shim.so" OPENBLAS_CORETYPE=Prescott
run "generic core, after: Distillery's choice" -u OPENBLAS_CORETYPE LD_PRELOAD="$work/shim.so"
run "OpenBLAS's own choice, no variable" -u OPENBLAS_CORETYPE
if [ -n "${VENV:-}" ]; then
    echo "## PyTorch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
    "$VENV/bin/python" "${TORCH_REF:-benchmarks/torch_workloads.py}" "$threads"
fi
