#!/usr/bin/env bash
# The README's Mirage table: graph classification on the 2-hop ego-networks of Cora and
# Citeseer (each labeled node's neighbourhood, labelled by its class, nodes of 16 feature
# clusters, split 60/20/20 by the seed), seeds 0–2, from YAML configs through `distill train`.
# A GIN of L layers (mean readout, chosen on the validation graphs, scored on the test graphs)
# trained on every training graph, then on Mirage's distillate of L-hop computation trees at
# several minimum supports, with pairs of trees mined together (maximum_trees 2), and of
# 2-hop trees for a 2-layer GIN. Prints
# each setting's mean test accuracy, its share of the full-data accuracy, and the
# distillate's compression. About 20 minutes on 2 cores; a finished run whose config is
# unchanged is kept.
#   benchmarks/mirage/run.sh            (OUT=folder to keep the runs elsewhere; GRAPHS="cora", SEEDS="0")
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/distillery-mirage}
mkdir -p "$out"
swift build -c release --product distill >&2
distill=$PWD/.build/release/distill

# run NAME LAYERS [MIRAGE]: a GIN of LAYERS layers on the ego-networks, on Mirage's
# distillate when MIRAGE (its settings) is given. A run whose config is unchanged and that
# finished is kept.
run() {
    cat > "$out/$1.next.yaml" <<YAML
data: {dataset: $graph, ego_networks: {hops: 2, node_kinds: 16}, validation: holdout, split_seed: $seed${3:+, mirage: $3}}
model: {model: gin, layers: $2, readout: mean}
training: {epochs: 100, batch_size: 32, seed: $seed, optimizer: {name: adam, learning_rate: 0.01}, early_stopping: {metric: top1, patience: 20}}
output: $out/$1
YAML
    if cmp -s "$out/$1.next.yaml" "$out/$1.yaml" && [ -f "$out/$1/summary.json" ]; then rm "$out/$1.next.yaml"; return; fi
    mv "$out/$1.next.yaml" "$out/$1.yaml"
    "$distill" train "$out/$1.yaml" --fresh > "$out/$1.log"
}

settings="full-1 full-2 s01-1 s02-1 s05-1 s02-1-pairs s01-2"
for graph in ${GRAPHS:-cora citeseer}; do
    for seed in ${SEEDS:-0 1 2}; do
        p="$graph-$seed"
        run "$p-full-1" 1
        run "$p-full-2" 2
        run "$p-s01-1" 1 "{hops: 1, minimum_support: 0.01}"
        run "$p-s02-1" 1 "{hops: 1, minimum_support: 0.02}"
        run "$p-s05-1" 1 "{hops: 1, minimum_support: 0.05}"
        run "$p-s02-1-pairs" 1 "{hops: 1, minimum_support: 0.02, maximum_trees: 2}"
        run "$p-s01-2" 2 "{hops: 2, minimum_support: 0.01}"
        echo "# $graph seed $seed done" >&2
    done
done

SEEDS=${SEEDS:-0 1 2} SETTINGS="$settings" python3 - "$out" ${GRAPHS:-cora citeseer} <<'PY'
import json, os, re, sys
out, graphs = sys.argv[1], sys.argv[2:]
seeds, settings = os.environ["SEEDS"].split(), os.environ["SETTINGS"].split()
names = {"full-1": "every training graph, 1-layer GIN", "full-2": "every training graph, 2-layer GIN",
         "s01-1": "Mirage, 1-hop trees, support 1%", "s02-1": "Mirage, 1-hop trees, support 2%",
         "s05-1": "Mirage, 1-hop trees, support 5%", "s02-1-pairs": "Mirage, 1-hop trees, support 2%, up to 2 trees together",
         "s01-2": "Mirage, 2-hop trees, support 1% (2-layer GIN)"}
def summary(graph, seed, setting):
    return json.load(open(f"{out}/{graph}-{seed}-{setting}/summary.json"))
print("| GIN trained on | " + " | ".join(f"{g}: test accuracy (share of full) | {g}: compression" for g in graphs) + " |")
print("|---|" + "---|---|" * len(graphs))
for setting in settings:
    cells = []
    for graph in graphs:
        accuracy = sum(summary(graph, s, setting)["test"]["top1"] for s in seeds) / len(seeds) * 100
        layers = setting.split("-")[1] if setting.startswith("full") else ("2" if setting.endswith("-2") else "1")
        full = sum(summary(graph, s, f"full-{layers}")["test"]["top1"] for s in seeds) / len(seeds) * 100
        ratios = [float(re.search(r"([0-9.]+)× smaller", summary(graph, s, setting).get("dataDerivation") or "1.0× smaller").group(1)) for s in seeds]
        compression = "1×" if setting.startswith("full") else f"{sum(ratios) / len(ratios):.1f}×"
        cells += [f"{accuracy:.1f}% ({accuracy / full * 100:.0f}%)", compression]
    print(f"| {names[setting]} | " + " | ".join(cells) + " |")
PY
