#!/usr/bin/env bash
# Runs the benchmarks end to end and writes bench/results/<name>.{json,md}.
# usage: bench/run.sh [itsm-bench options, e.g. --scenarios=reference,incident-sqlite --seconds=5]
# Takes about 5-8 minutes on two cores with the defaults (1,000,000 incidents for the reads).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh itsm_suite itsm_bench itsm_bench_echo itsm_bench_proxy businesstime_bench storage_bench create_cost_bench cmdb_impact_bench sla_report_bench sla_timer_bench change_schedule_bench
mkdir -p bench/results
export ITSM_BIN_DIR="$PWD/build/bin"
build/bin/itsm-bench --results_dir=bench/results --name=latest "$@"
# Micro benchmarks (Google Benchmark): business time.
build/bench/businesstime_bench --benchmark_min_time=0.2 \
  --benchmark_out=bench/results/businesstime.json --benchmark_out_format=json
build/bench/storage_bench --benchmark_min_time=0.5 \
  --benchmark_out=bench/results/storage.json --benchmark_out_format=json
build/bench/create_cost_bench | tee bench/results/create_cost.txt
# Other services' drivers plug in here; each prints its table and writes what it writes.
build/bench/cmdb_impact_bench | tee bench/results/cmdb_impact.txt
build/bench/change_schedule_bench | tee bench/results/change_schedule.txt
for extra in build/bench/sla_report_bench build/bench/sla_timer_bench; do
  "$extra" --results_dir=bench/results || echo "$extra failed"
done
