#!/usr/bin/env bash
# Papernot et al. (2016), defensive distillation, and Carlini & Wagner (2017) breaking it: an
# MLP 784-256-256-10 trained plainly; a teacher of the same shape trained with its softmax at
# T (default 100); a student distilled from it at T; both deployed at T = 1. Each model is
# attacked (L∞ ε = EPSILON, default 0.1, on the first 1,000 test images) by FGSM and PGD-20
# on cross-entropy — which the defence stalls — and by PGD-20 on the CW margin and CW-L2 —
# which break it. DATASET defaults to mnist (copy the IDX files into
# $DISTILLERY_DATA_DIR/mnist); fashion-mnist works as a stand-in. Prints accuracies and
# attack success rates ((clean − robust)/clean: about the share of correctly classified
# images an attack flips).
set -euo pipefail
cd "$(dirname "$0")/../.."
dataset=${DATASET:-mnist} temperature=${TEMPERATURE:-100} epsilon=${EPSILON:-0.1} epochs=${EPOCHS:-10}
swift build -c release --product distill >&2
distill=.build/release/distill
out=$PWD/runs/defensive-$dataset
mkdir -p "$out/configs"
write() {  # name body
    cat > "$out/configs/$1.yaml" <<YAML
data: {dataset: $dataset}
$2
training: {epochs: $epochs, batch_size: 128, seed: 1, optimizer: {name: adam, learning_rate: 0.001}}
output: $out/$1
YAML
}
write plain "model: {model: mlp, hidden: [256, 256]}"
write teacher "model: {model: mlp, hidden: [256, 256]}
losses: [{name: defensive, temperature: $temperature}]"
write distilled "teacher: {model: mlp, hidden: [256, 256], checkpoint: $out/teacher/model.safetensors}
student: {model: mlp, hidden: [256, 256]}
losses: [{name: defensive, temperature: $temperature}]"
$distill train "$out/configs/plain.yaml" >&2
$distill train "$out/configs/teacher.yaml" >&2
$distill distill "$out/configs/distilled.yaml" >&2
for run in plain distilled; do
    $distill attack "$out/configs/$run.yaml" --attacks fgsm pgd-20 pgd-20-cw cw-l2 --epsilon "$epsilon" --limit 1000 >&2
done
echo "| model | clean | FGSM | PGD-20 (CE) | PGD-20 (CW margin) | CW-L2 (projected on the L∞ ball) |"
echo "|---|---|---|---|---|---|"
for run in plain distilled; do
    python3 - "$out/$run/robustness-linf-$epsilon.json" "$run" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
clean = r["cleanAccuracy"]
cells = [f"{100 * a['accuracy']:.1f}% (success {100 * (clean - a['accuracy']) / clean:.1f}%)" for a in r["attacks"]]
print(f"| {sys.argv[2]} | {100 * clean:.1f}% | " + " | ".join(cells) + " |")
PY
done
