#!/bin/bash
# Whole-command timings of the query commands (hyperfine): before (another checkout, OLD, whose
# commands start the engine), after (direct Delta lookups, the default) and after with
# --engine spark. Usage, on a built lakehouse (e.g. scale 10):
#   git archive 64931dd | tar -x -C /tmp/old
#   MLG_LAKEHOUSE=/path/lakehouse OLD=/tmp/old bench/bench_cli.sh
set -e
export RUST_LOG=error
PY=${PY:-.venv/bin/python}
OLD=${OLD:?a checkout of the commit to compare with}
I=aip://model-instance/registry/ranking-model-v5-20XX0101
D=aip://dataset/datasets/warehouse.title_catalog
M=aip://model/registry/ranking-v5
declare -a CMDS=("lineage $I" "impact $D" "related $M" "explain $D $M" "tables")
for c in "${CMDS[@]}"; do
  name=${c%% *}
  hyperfine -N --warmup 1 --runs "${RUNS:-5}" \
    -n "before $name" "$PY bench/old_mlg.py $OLD $c --format json" \
    -n "after $name" "$PY -m spark_jobs.cli $c --format json" \
    -n "after --engine spark $name" "$PY -m spark_jobs.cli $c --format json --engine spark"
done
