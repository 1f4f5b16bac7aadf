#!/usr/bin/env bash
# The performance scenarios, each run RUNS times (default 5), host pinned to CPU 0 and the bench
# to CPU 1. Prints one JSON report per run to bench/results/NAME[-tN].jsonl and a table of
# medians at the end (and the best run's deliveries/s: on a shared machine the spread is wide).
# Usage: [THREADS=N] [PIN=0] bench/scenarios.sh [RUNS] [SCENARIO...]
#   THREADS=N  start the host with --threads N (default: the host's own default)
#   PIN=0      pin neither the host nor the bench (a threaded host needs more than one core)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true
bin=target/release/chatroom
cargo build --release --quiet
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || true

declare -A args=(
  [blast1]="--clients 100 --senders 1 --messages 200000 --size 64"
  [blast4]="--clients 100 --senders 4 --messages 50000 --size 64"
  [paced]="--clients 100 --senders 1 --messages 5000 --size 64 --rate 1000"
  [storm5k]="--clients 5000 --connect-batch 5000 --senders 1 --messages 100 --size 64 --rate 20"
  [hold10k]="--clients 10000 --connect-batch 10000 --connect-timeout 600 --senders 1 --messages 20 --size 64 --rate 20"
  [stalled]="--clients 100 --senders 4 --messages 50000 --size 64 --stalled 1"
)
order=(blast1 blast4 paced storm5k hold10k stalled)
[ $# -gt 0 ] && order=("$@")

suffix=""
extra=()
if [ -n "${THREADS:-}" ]; then
  suffix="-t$THREADS"
  extra+=("--host-arg=--threads=$THREADS")
fi
pin=(taskset -c 1)
if [ "${PIN:-1}" = 0 ]; then
  pin=()
else
  extra+=(--host-cpu 0)
fi

for name in "${order[@]}"; do
  out=bench/results/$name$suffix.jsonl
  : > "$out"
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    "${pin[@]}" "$bin" bench --spawn-host "${extra[@]}" ${args[$name]} --json >> "$out" || true
  done
done

SUFFIX=$suffix python3 - "${order[@]}" <<'PY'
import json, os, statistics, sys
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
print(f"{'scenario':10} {'runs':>4} {'deliv/s':>10} {'best':>10} {'lost':>5} {'p50 us':>9} {'p99 us':>9} {'connect s':>9} {'us/deliv':>8} {'kB/client':>9} {'room us/msg':>11}")
for name in sys.argv[1:]:
    rows = [json.loads(l) for l in open(f"bench/results/{name}{os.environ['SUFFIX']}.jsonl") if l.strip()]
    if not rows:
        continue
    h = [r.get("host") or {} for r in rows]
    def f(v, spec): return "-" if v is None else format(v, spec)
    print(f"{name:10} {len(rows):>4} "
          f"{f(med([r['deliveries_per_sec']/1e6 for r in rows]), '.2f'):>9}M "
          f"{f(max(r['deliveries_per_sec']/1e6 for r in rows), '.2f'):>9}M "
          f"{f(med([r['lost'] for r in rows]), 'd'):>5} "
          f"{f(med([r['latency_us']['p50'] for r in rows]), '.0f'):>9} "
          f"{f(med([r['latency_us']['p99'] for r in rows]), '.0f'):>9} "
          f"{f(med([r['connect_secs'] for r in rows]), '.3f'):>9} "
          f"{f(med([x.get('cpu_us_per_delivery') for x in h]), '.3f'):>8} "
          f"{f(med([x.get('rss_per_client_kb') for x in h]), '.1f'):>9} "
          f"{f(med([x.get('room_cpu_us_per_message') for x in h]), '.2f'):>11}")
PY
