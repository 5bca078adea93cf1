#!/usr/bin/env bash
# Regenerates the showcase under reports/ with the current coreheat, in one
# command (run it whenever the report changes): builds release, runs the seed
# experiments with fixed parameters, and renders the 64- and 1 024-CPU
# synthetic traces (deterministic). Everything is made in a scratch folder
# first; the showcase folders are replaced only when all of it succeeded.
#
#   scripts/showcase.sh            # from the repository's root
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --bins --examples
bin="$root/target/release/coreheat"
synthetic="$root/target/release/examples/synthetic_trace"

scratch=$(mktemp -d "$root/reports/.showcase-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Made inside the scratch folder, so the pages show `--out seed2-count`.
cd "$scratch"

# The seed experiments (real runs: their timings are this machine's).
"$bin" sweep --quiet --repeat 1 --modes processes --workers 1,2 \
    --out seed1-hash-processes hash --zeros 7
"$bin" sweep --quiet --repeat 1 --modes serial,threads,processes --workers 1,2 \
    --out seed2-count count --n 2^33
"$bin" run --quiet --out idle-baseline idle --duration 10s

# Synthetic traces of many CPUs (the same bytes every time). Their traces are
# large, so only the reports are kept.
"$synthetic" synthetic-64.jsonl 64 3600
"$bin" render synthetic-64.jsonl --out synthetic-64cpu \
    --title "synthetic: 64 CPUs for an hour"
"$synthetic" synthetic-1024.jsonl 1024 600
"$bin" render synthetic-1024.jsonl --out synthetic-1024cpu \
    --title "synthetic: 1 024 CPUs for 10 minutes"

cd "$root"
for folder in seed1-hash-processes seed2-count idle-baseline synthetic-64cpu synthetic-1024cpu; do
    rm -rf "reports/$folder"
    mv "$scratch/$folder" "reports/$folder"
done
du -sh reports/*/
