#!/usr/bin/env bash
# What `host --store` costs: the blast (100 clients, 1 sender, 200,000 messages) and the paced run
# (1,000 msg/s to 100 clients), each RUNS times (default 5) with and without a store, the two
# alternating so both see the same machine; host pinned to CPU 0, bench to CPU 1. Each stored run
# gets a fresh data directory. Prints the medians.
# Usage: bench/store.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${BIN:-target/release/chatroom}
[ -n "${BIN:-}" ] || cargo build --release --quiet
mkdir -p bench/results
ulimit -n 65536 2>/dev/null || true

declare -A args=(
  [blast1]="--clients 100 --senders 1 --messages 200000 --size 64"
  [paced]="--clients 100 --senders 1 --messages 5000 --size 64 --rate 1000"
)
for name in blast1 paced; do
  : > "bench/results/store-off-$name.jsonl"
  : > "bench/results/store-on-$name.jsonl"
done
for _ in $(seq "$runs"); do
  for name in blast1 paced; do
    # shellcheck disable=SC2086
    taskset -c 1 "$bin" bench --spawn-host --host-cpu 0 ${args[$name]} --json \
      >> "bench/results/store-off-$name.jsonl" || true
    dir=$(mktemp -d)
    # shellcheck disable=SC2086
    taskset -c 1 "$bin" bench --spawn-host --host-cpu 0 ${args[$name]} --json \
      --host-arg=--store "--host-arg=--data-dir=$dir" >> "bench/results/store-on-$name.jsonl" || true
    rm -rf "$dir"
  done
done

python3 - <<'PY'
import json, statistics
def rows(which, name):
    return [json.loads(l) for l in open(f"bench/results/store-{which}-{name}.jsonl") if l.strip()]
print(f"{'run':16} {'n':>2} {'deliv/s':>9} {'lost':>5} {'p50 us':>8} {'p99 us':>8} {'us/deliv':>8}")
for name in ["blast1", "paced"]:
    for which in ["off", "on"]:
        r = rows(which, name)
        if not r:
            continue
        med = lambda xs: statistics.median(xs)
        h = [x.get("host") or {} for x in r]
        cpu = [x.get("cpu_us_per_delivery") for x in h if x.get("cpu_us_per_delivery") is not None]
        print(f"{name + ' store ' + which:16} {len(r):>2} "
              f"{med([x['deliveries_per_sec'] for x in r]) / 1e6:>8.2f}M "
              f"{med([x['lost'] for x in r]):>5} "
              f"{med([x['latency_us']['p50'] for x in r]):>8.0f} "
              f"{med([x['latency_us']['p99'] for x in r]):>8.0f} "
              f"{(med(cpu) if cpu else float('nan')):>8.3f}")
PY
