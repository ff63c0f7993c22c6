#!/usr/bin/env bash
# The README's graph table: on Cora and Citeseer, seeds 1–3, from YAML configs through
# `distill`: the GCN teacher and VQGraph's VQ-VAE teacher (each chosen on the 500 validation
# nodes, scored on the 1,000 test nodes), the MLP on the training labels alone, and MLP
# students on every node by GLNN and FF-G2M from the GCN, and by GLNN and VQGraph from the
# VQ-VAE teacher (the ablation that separates VQGraph's teacher from its token term), at the
# official λ (Cora 0.4, Citeseer 0.1). Prints each run's test accuracy per seed and the
# means. About 15 minutes on 2 cores.
#   benchmarks/graph/run.sh            (OUT=folder to keep the runs elsewhere; GRAPHS="cora", SEEDS="1")
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/distillery-graph}
mkdir -p "$out"
swift build -c release --product distill >&2
distill=$PWD/.build/release/distill
optimizer="{name: adam, learning_rate: 0.01, weight_decay: 0.0005}"

# run NAME COMMAND YAML: writes $out/NAME.yaml and trains it from scratch.
run() {
    printf '%s\noutput: %s\n' "$3" "$out/$1" > "$out/$1.yaml"
    "$distill" "$2" "$out/$1.yaml" --fresh > "$out/$1.log"
}

# soft_labels NAME TEACHER [TERM]: a student on every node by ce and kd (GLNN) at the graph's
# λ, with TERM besides when given.
soft_labels() {
    run "$1" distill "$students
$2
losses: [{name: ce, weight: $lambda}, {name: kd, temperature: 1, weight: $rest}${3:+, $3}]"
}

for graph in ${GRAPHS:-cora citeseer}; do
    case $graph in
        cora) lambda=0.4; nodes=2708 ;;
        citeseer) lambda=0.1; nodes=3327 ;;
    esac
    rest=$(python3 -c "print(round(1 - $lambda, 6))")
    for seed in ${SEEDS:-1 2 3}; do
        prefix="$graph-$seed"
        training="training: {epochs: 200, batch_size: $nodes, seed: $seed, optimizer: $optimizer}"
        students="data: {dataset: $graph, nodes: all}
student: {model: mlp, hidden: [64], dropout: 0.5}
$training"
        run "$prefix-gcn" train "data: {dataset: $graph, validation: holdout}
model: {model: gcn}
training: {epochs: 200, batch_size: 140, seed: $seed, optimizer: $optimizer, early_stopping: {metric: loss, patience: 50}}"
        run "$prefix-mlp" train "data: {dataset: $graph}
model: {model: mlp, hidden: [64], dropout: 0.5}
training: {epochs: 200, batch_size: 140, seed: $seed, optimizer: $optimizer}"
        gcn="teacher: {model: gcn, checkpoint: $out/$prefix-gcn/model.safetensors}"
        soft_labels "$prefix-glnn" "$gcn"
        run "$prefix-ffg2m" distill "$students
$gcn
losses: [{name: ce, weight: $lambda}, {name: ffg2m_low, weight: $rest}, {name: ffg2m_high, weight: $rest, temperature: 1.5}]"
        run "$prefix-vq" train "data: {dataset: $graph, validation: holdout}
model: {model: vqgraph-gcn}
method: {name: vqgraph}
training: {epochs: 200, batch_size: 140, seed: $seed, optimizer: $optimizer, early_stopping: {metric: top1}}"
        vq="teacher: {model: vqgraph-gcn, checkpoint: $out/$prefix-vq/model.safetensors}"
        soft_labels "$prefix-glnn-vq" "$vq"
        soft_labels "$prefix-vqgraph" "$vq" "{name: vqgraph_tokens, student: '1'}"
        echo "# $graph seed $seed done" >&2
    done
done

# The table: test accuracy (a teacher's kept weights on the test nodes; a student's last epoch).
SEEDS=${SEEDS:-1 2 3} python3 - "$out" ${GRAPHS:-cora citeseer} <<'EOF'
import json, os, sys
out, graphs = sys.argv[1], sys.argv[2:]
seeds = os.environ["SEEDS"].split()
rows = [("gcn", "GCN teacher"), ("mlp", "MLP alone"), ("glnn", "GLNN from the GCN"), ("ffg2m", "FF-G2M from the GCN"),
        ("vq", "VQ-VAE teacher (vqgraph-gcn)"), ("glnn-vq", "GLNN from the VQ-VAE teacher"), ("vqgraph", "VQGraph (kd + tokens)")]
def accuracy(graph, seed, run):
    summary = json.load(open(f"{out}/{graph}-{seed}-{run}/summary.json"))
    record = summary.get("test") or summary["history"][-1]["validation"]
    return record["top1"] * 100
print("| model | " + " | ".join(graphs) + " |")
print("|---|" + "---|" * len(graphs))
for run, name in rows:
    cells = []
    for graph in graphs:
        values = [accuracy(graph, seed, run) for seed in seeds]
        cells.append(f"{sum(values) / len(values):.1f} ({', '.join(f'{v:.1f}' for v in values)})")
    print(f"| {name} | " + " | ".join(cells) + " |")
EOF
