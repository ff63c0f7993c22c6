#!/usr/bin/env bash
# Hinton, Vinyals & Dean (2015), MNIST: a teacher MLP 784-1200-1200-10 with dropout and
# jittered inputs, and a student 784-800-800-10 trained alone and distilled (T = 20). The
# paper reports 67 (teacher), 146 (student alone) and 74 (distilled) test errors of 10,000.
# Runs SEEDS seeds (default 1 2 3) of EPOCHS epochs (default 60) on DATASET (default mnist:
# copy the four IDX files into $DISTILLERY_DATA_DIR/mnist; fashion-mnist works as a stand-in)
# and prints the test errors per seed, their mean, and seconds per epoch. JITTER (default 2)
# is the teacher's random shift in pixels; 0 trains the teacher with dropout alone.
# DISTILL_LR (default 0.01) is the distilled student's learning rate: the soft-target term
# is scaled by T² = 400, and at the others' 0.05 it diverged within 31 steps from a
# confident teacher.
set -euo pipefail
cd "$(dirname "$0")/../.."
dataset=${DATASET:-mnist} epochs=${EPOCHS:-60} seeds=${SEEDS:-1 2 3} jitter=${JITTER:-2} distill_lr=${DISTILL_LR:-0.01}
swift build -c release --product distill >&2
distill=.build/release/distill
out=$PWD/runs/hinton-$dataset-jitter$jitter-epochs$epochs
mkdir -p "$out/configs"
config() {  # name seed body data-extra [learning-rate]
    cat > "$out/configs/$1-$2.yaml" <<YAML
data: {dataset: $dataset$4}
$3
training:
  epochs: $epochs
  batch_size: 128
  seed: $2
  optimizer: {name: sgd, learning_rate: ${5:-0.05}, momentum: 0.9}
  schedule: {name: cosine}
output: $out/$1-$2
YAML
    echo "$out/configs/$1-$2.yaml"
}
errors() { python3 -c "import json,sys; s=json.load(open('$1/summary.json')); v=s['history'][-1]['validation']; t=sorted(e['seconds'] for e in s['history']); print(round((1-v['top1'])*v['count']), '%.1f' % t[len(t)//2])"; }
echo "| seed | teacher errors | student alone | distilled (T = 20) | s/epoch (teacher, alone, distilled) |"
echo "|---|---|---|---|---|"
all=()
for seed in $seeds; do
    $distill train "$(config teacher "$seed" 'model: {model: mlp, hidden: [1200, 1200], dropout: 0.5}' "$( ((jitter > 0)) && echo ", augmentation: [{name: random_crop, padding: $jitter}]")")" >&2
    $distill train "$(config alone "$seed" 'model: {model: mlp, hidden: [800, 800]}' '')" >&2
    $distill distill "$(config distilled "$seed" "teacher: {model: mlp, hidden: [1200, 1200], dropout: 0.5, checkpoint: $out/teacher-$seed/model.safetensors}
student: {model: mlp, hidden: [800, 800]}
losses: [{name: kd, weight: 0.9, temperature: 20}, {name: ce, weight: 0.1}]" '' "$distill_lr")" >&2
    read -r te tt < <(errors "$out/teacher-$seed"); read -r ae at < <(errors "$out/alone-$seed"); read -r de dt < <(errors "$out/distilled-$seed")
    echo "| $seed | $te | $ae | $de | $tt, $at, $dt |"
    all+=("$te $ae $de")
done
printf '%s\n' "${all[@]}" | python3 -c "import sys; r=[list(map(int,l.split())) for l in sys.stdin]; print('| mean | ' + ' | '.join('%.0f' % (sum(c)/len(c)) for c in zip(*r)) + ' | |')"
