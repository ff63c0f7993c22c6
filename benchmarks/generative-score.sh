# The table row the generative reproductions print for each run and step count, sourced by
# benchmarks/generative-*/run.sh, which set `distill`, `out` and `count` (samples per row).
#   score CONFIG LABEL TRAINING-SECONDS STEPS [SAMPLER]
# samples $out/CONFIG.yaml, scores the samples with $out/classifier.yaml, and prints
# `| label | steps | NFE | FD | precision | recall | training (s) |`, with the conditional
# accuracy before the training time for a class-conditional run.
score() {
    "$distill" sample "$out/$1.yaml" --steps "$4" ${5:+--sampler "$5"} --count "$count" --score-with "$out/classifier.yaml" |
        awk -v label="$2" -v steps="$4" -v seconds="$3" '
            / NFE, / { nfe = $4 }
            /^FD / { accuracy = ($8 == "accuracy") ? $9 " | " : ""
                     printf "| %s | %s | %s | %s | %s | %s | %s%s |\n", label, steps, nfe, $2, $4, $6, accuracy, seconds }'
}
