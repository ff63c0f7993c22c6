#!/usr/bin/env bash
# The README's generative digits table: the classifier whose penultimate features score the
# samples (examples/digits-teacher.yaml), the class-conditional flow-matching teacher
# (examples/digits-flow-teacher.yaml), then its samples at 1–64 Euler steps, 8 and 32 Heun
# steps, and 32 Euler steps with guidance 2, each scored by FD, precision, recall and
# conditional accuracy against the 359 validation digits. Then the unconditional teacher
# (examples/digits-flow-teacher-unconditional.yaml) at 1–64 steps and its step-distillation
# students (examples/digits-*.yaml: consistency, tscd, scm, boot, consistency training
# without a teacher, progressive in four chained rounds 16 → 8 → 4 → 2 → 1, reflow and its
# one-step distillation) at 1, 2 and 4 steps, with their training times. Between the two,
# distribution matching from the conditional teacher (examples/digits-dmd2.yaml,
# digits-sid.yaml, and MSD's digits-msd-students.yaml then digits-msd.yaml, against one
# student of the same small width for every class) at one step. About 40 minutes on
# 2 cores; STUDENTS="scm boot" runs only those students (after the teachers), STUDENTS=none
# none of them, MATCHING="dmd2 msd" only those distribution-matching runs, MATCHING=none none.
#   benchmarks/generative-digits/run.sh            (OUT=folder to keep the runs elsewhere)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/distillery-generative-digits}
mkdir -p "$out"
swift build -c release --product distill >&2
distill=.build/release/distill
count=359
. benchmarks/generative-score.sh

# The examples with their outputs moved under $out (the configs have no other relative path).
sed "s|^output: .*|output: $out/classifier|" examples/digits-teacher.yaml > "$out/classifier.yaml"
sed "s|^output: .*|output: $out/flow|" examples/digits-flow-teacher.yaml > "$out/flow.yaml"
sed "s|^output: .*|output: $out/uflow|" examples/digits-flow-teacher-unconditional.yaml > "$out/uflow.yaml"
students=${STUDENTS:-consistency tscd scm boot consistency-training progressive reflow}
# A student's config: the example with its output under $out and its checkpoints (teacher and
# starting weights) at `from`, a run under $out.
student_config() {  # example name from [sed expression]
    sed -e "s|^output: .*|output: $out/$2|" -e "s|checkpoint: .*|checkpoint: $out/$3/model.safetensors|" ${4:+-e "$4"} "examples/digits-$1.yaml" > "$out/$2.yaml"
}
train() {  # name: trains $out/name.yaml, setting `seconds`
    start=$(date +%s)
    if [ "$1" = consistency-training ]; then command=train; else command=distill; fi
    "$distill" "$command" "$out/$1.yaml" --fresh > "$out/$1.log"
    seconds=$(( $(date +%s) - start ))
}
# Distils $out/NAME.yaml to its epochs `chunk` at a time (each run resumes the last), and after
# each scores its one-step samples' FD into $out/fd-curves.csv as LABEL; sets `seconds` to the
# training time alone.
train_with_curve() {  # name label chunk
    local total epochs scoring=0 began fd
    total=$(awk '/^  epochs:/ { print $2 }' "$out/$1.yaml")
    start=$(date +%s)
    for ((epochs = $3; epochs <= total; epochs += $3)); do
        sed -i "s|^  epochs: .*|  epochs: $epochs|" "$out/$1.yaml"
        "$distill" distill "$out/$1.yaml" $([ "$epochs" = "$3" ] && echo --fresh) >> "$out/$1.log"
        began=$(date +%s)
        fd=$("$distill" sample "$out/$1.yaml" --count "$count" --score-with "$out/classifier.yaml" | awk '/^FD / { print $2 }')
        scoring=$(( scoring + $(date +%s) - began ))
        echo "$2,$epochs,$fd" >> "$out/fd-curves.csv"
    done
    seconds=$(( $(date +%s) - start - scoring ))
}
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
        / NFE, / { nfe = $4; seconds = $6 }
        /^FD / { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", sampler, steps, nfe, $2, $4, $6, $9, seconds }'
}
for steps in 1 2 4 8 16 64; do sample euler "$steps"; done
for steps in 8 32; do sample heun "$steps"; done
sample euler 32 2

# Distribution matching from the conditional teacher: class-conditional students at one step.
matching=${MATCHING:-dmd2 sid msd small}
if [ "$matching" != none ]; then
    echo "series,x,y" > "$out/fd-curves.csv"
    echo
    echo "| run | steps | NFE | FD | precision | recall | conditional accuracy | training (s) |"
    echo "|---|---|---|---|---|---|---|---|"
    for run in $matching; do
        case $run in
        msd|small)
            # MSD's four quarter-width students, or (small) one student of that width for
            # every class: each pretrained by flow matching, then distilled by DMD2.
            if [ "$run" = msd ]; then
                split=4; curve="MSD, 4 × [8, 16]"; label="MSD: 4 students of [8, 16] channels, conditional DMD2"
            else
                split=1; curve="one [8, 16] student"; label="one student of [8, 16] channels, conditional DMD2 (MSD's control)"
            fi
            sed -e "s|^output: .*|output: $out/$run-students|" -e "s|students: 4|students: $split|" examples/digits-msd-students.yaml > "$out/$run-students.yaml"
            student_config msd "$run" "$run-students" "s|^  students: 4|  students: $split|"
            # The first checkpoint, the teacher's, is the conditional teacher's.
            sed -i "0,/checkpoint: .*/s|checkpoint: .*|checkpoint: $out/flow/model.safetensors|" "$out/$run.yaml"
            began=$(date +%s)
            "$distill" train "$out/$run-students.yaml" --fresh > "$out/$run-students.log"
            pretraining=$(( $(date +%s) - began ))
            train_with_curve "$run" "$curve" 2
            score "$run" "$label" $(( pretraining + seconds )) 1;;
        *)
            student_config "$run" "$run" flow
            train_with_curve "$run" "$run" 2
            score "$run" "$run (conditional)" "$seconds" 1;;
        esac
    done
    "$distill" chart "$out/fd-curves.csv" --output "$out/fd-curves.svg" --x-label "epochs (23 generator steps each)" \
        --title "FD of one-step samples against training (digits, class-conditional)" > /dev/null
    echo
    echo "FD against training: $out/fd-curves.svg ($out/fd-curves.csv)"
fi
[ "${STUDENTS:-}" = none ] && exit 0

echo
echo "| run | steps | NFE | FD | precision | recall | training (s) |"
echo "|---|---|---|---|---|---|---|"
start=$(date +%s)
"$distill" train "$out/uflow.yaml" --fresh > "$out/uflow.log"
teacher_seconds=$(( $(date +%s) - start ))
for steps in 1 2 4 8 16 64; do score uflow "unconditional flow teacher, Euler" "$teacher_seconds" "$steps" euler; done
for student in $students; do
    case $student in
    progressive)
        # Four rounds, each student the next round's teacher and starting point.
        from=uflow
        for steps in 16 8 4 2; do
            student_config progressive "progressive-$steps" "$from" "s|teacher_steps: 16|teacher_steps: $steps|"
            train "progressive-$steps"
            score "progressive-$steps" "progressive, round $steps → $(( steps / 2 ))" "$seconds" $(( steps / 2 ))
            from=progressive-$steps
        done;;
    reflow)
        student_config reflow reflow uflow
        train reflow
        for steps in 1 2 4; do score reflow "reflow" "$seconds" "$steps"; done
        student_config instaflow instaflow reflow
        train instaflow
        score instaflow "reflow + one-step distillation (InstaFlow)" "$seconds" 1;;
    *)
        student_config "$student" "$student" uflow
        train "$student"
        if [ "$student" = boot ]; then steps="1"; else steps="1 2 4"; fi
        for n in $steps; do score "$student" "$student" "$seconds" "$n"; done;;
    esac
done
echo
echo "grids: $out/flow/samples/*.png, $out/uflow/samples/*.png and each student's samples/*.png"
