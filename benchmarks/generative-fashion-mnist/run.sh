#!/usr/bin/env bash
# The README's Fashion-MNIST step-distillation table, at CPU scale: a LeNet-5 classifier
# (examples/fashion-mnist-teacher.yaml) whose penultimate features score the samples, the
# unconditional flow teacher (examples/fashion-mnist-flow-teacher.yaml) on the first
# TRAIN_LIMIT training images (default 6,400) for TEACHER_EPOCHS (12), then its sCM and
# consistency-distilled students (the digits configs moved to this data) for STUDENT_EPOCHS
# (6). Each row scores 1,000 samples against the 10,000 test images by FD, precision and
# recall. About 45 minutes on 2 cores. Needs `apt-get install dataset-fashion-mnist`.
# STUDENTS="scm" runs only those students; REUSE=1 keeps a classifier and teacher already
# trained in $OUT (the teacher's training time then reads "reused").
#   benchmarks/generative-fashion-mnist/run.sh            (OUT=folder to keep the runs elsewhere)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/distillery-generative-fashion-mnist}
limit=${TRAIN_LIMIT:-6400}
teacher_epochs=${TEACHER_EPOCHS:-12}
student_epochs=${STUDENT_EPOCHS:-6}
mkdir -p "$out"
swift build -c release --product distill >&2
distill=.build/release/distill
count=1000
. benchmarks/generative-score.sh

# The examples moved to $out, on the subset, with these epochs (the digits students' configs
# read Fashion-MNIST instead).
subset="s|^  dataset: .*|  dataset: fashion-mnist\n  train_limit: $limit|"
sed "s|^output: .*|output: $out/classifier|" examples/fashion-mnist-teacher.yaml > "$out/classifier.yaml"
sed -e "s|^output: .*|output: $out/flow|" -e "$subset" -e "s|^  epochs: .*|  epochs: $teacher_epochs|" examples/fashion-mnist-flow-teacher.yaml > "$out/flow.yaml"
students=${STUDENTS:-scm consistency}
for student in $students; do
    sed -e "s|^output: .*|output: $out/$student|" -e "$subset" -e "s|^  epochs: .*|  epochs: $student_epochs|" \
        -e "s|checkpoint: .*|checkpoint: $out/flow/model.safetensors|" "examples/digits-$student.yaml" > "$out/$student.yaml"
done

timed() {  # command config: runs it, setting `seconds`
    local start
    start=$(date +%s)
    "$distill" "$1" "$out/$2.yaml" --fresh > "$out/$2.log"
    seconds=$(( $(date +%s) - start ))
}
reuse=${REUSE:-0}
[ "$reuse" = 1 ] || timed train classifier
echo "# the classifier's test top-1: $(grep '^| final' "$out/classifier.log" | cut -d'|' -f3 | tr -d ' '); $limit training images"
echo
echo "| run | steps | NFE | FD | precision | recall | training (s) |"
echo "|---|---|---|---|---|---|---|"
if [ "$reuse" = 1 ]; then seconds=reused; else timed train flow; fi
for steps in 1 2 4 8 16 64; do score flow "flow teacher, Euler" "$seconds" "$steps" euler; done
for student in $students; do
    timed distill "$student"
    for steps in 1 2 4; do score "$student" "$student" "$seconds" "$steps"; done
done
echo
echo "grids: $out/*/samples/*.png"
