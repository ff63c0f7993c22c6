#!/usr/bin/env bash
# Reproduction at small scale of the robust-distillation comparison (issue 6): on
# Fashion-MNIST (apt-get install dataset-fashion-mnist), an MLP student 784-64-10 trained
# plainly, with PGD-AT, and distilled from a PGD-AT teacher (784-512-512-10) by ARD, RSLAD and
# MTARD (MTARD also has a clean teacher). L∞ ε = 0.1, PGD-7 in training; each run's summary
# reports clean, PGD-20 and PGD-20 (CW margin) accuracy on 1,000 test images. Prints a table.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product distill >&2
distill=.build/release/distill
here=benchmarks/robust-students
$distill train "$here/teacher-clean.yaml" >&2
$distill robust-train "$here/teacher-robust.yaml" >&2
$distill train "$here/student-plain.yaml" >&2
for method in pgd-at ard rslad mtard; do $distill robust-train "$here/student-$method.yaml" >&2; done
$distill attack "$here/student-plain.yaml" --attacks pgd-20 pgd-20-cw --limit 1000 >&2
echo "| model | method | clean (10,000) | PGD-20 (1,000) | PGD-20 CW (1,000) | s/epoch |"
echo "|---|---|---|---|---|---|"
for run in teacher-clean teacher-robust student-plain student-pgd-at student-ard student-rslad student-mtard; do
    python3 - "runs/robust-students/$run/summary.json" "runs/robust-students/$run/robustness-linf-0.1.json" "$run" <<'PY'
import json, os, sys
summary = json.load(open(sys.argv[1]))
robust = summary.get("robustness")
if robust is None and os.path.exists(sys.argv[2]):
    robust = json.load(open(sys.argv[2]))
attacks = {a["attack"]: a["accuracy"] for a in (robust or {}).get("attacks", [])}
times = sorted(e["seconds"] for e in summary["history"])
fmt = lambda v: "–" if v is None else f"{100 * v:.2f}%"
model, method = sys.argv[3].split("-", 1)
print(f"| {model} {summary['parameters']:,} params | {method} | {fmt(summary['history'][-1]['validation']['top1'])} | {fmt(attacks.get('pgd-20'))} | {fmt(attacks.get('pgd-20-cw'))} | {times[len(times) // 2]:.1f} |")
PY
done
