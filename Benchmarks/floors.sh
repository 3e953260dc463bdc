#!/usr/bin/env bash
# Where a delivery's CPU goes, in rounds: the same wrk load as ingest.sh (2 threads, 32
# connections, distinct signed 600-byte Standard Webhooks deliveries, target stalled) against
# Hookline stopped at successive points. Each round runs, one after the other:
#   http     202 as soon as the body is in: NIO's HTTP/1, sockets and Hookline's handlers alone;
#   decode   verify, decode and route, then 202 on the next loop tick;
#   journal  everything but the journal (event id, dedup claim, queue room, the event and its
#            jobs, the `received` record), then 202 on the next loop tick;
#   no sync  Hookline as shipped with `fsync: none` (the line written, not synced);
#   shipped  Hookline as shipped, `fsync: batch`.
# The first three are Hookline built with the package trait MeasuredFloors (never shipped), in
# .build/floors/build (the first build compiles the dependencies again: minutes).
# CPU µs per request is the process CPU over the requests served, as in ingest.sh, and split
# between the event loops and the other threads (the audit writer, mostly).
# Usage: Benchmarks/floors.sh [--rounds N] [--duration SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh

begin_rounds floors "$@"

# The measuring build: this tree with the package trait MeasuredFloors, in a build directory of
# its own (the shipped build never reads HOOKLINE_FLOOR).
ROOT="$PWD"
swift build -c release --product hookline --traits MeasuredFloors --scratch-path "$ROOT/.build/floors/build" >&2
FLOOR_BIN="$(swift build -c release --traits MeasuredFloors --scratch-path "$ROOT/.build/floors/build" --show-bin-path)"

RESULTS="$WORK/results.txt"
: >"$RESULTS"
row() { printf '%-6s %-9s %12s %10s %10s %s\n' "$@"; }

# CPU ticks of a process's event-loop threads (NIO names them NIO-ELT-…); the rest is the audit
# writer and everything else.
loop_ticks() { local t=0 task; for task in /proc/"$1"/task/*; do grep -q '^NIO-ELT' "$task/comm" 2>/dev/null && t=$(( t + $(awk '{print $14 + $15}' "$task/stat") )); done; echo $t; }

# One variant: name, binary, HOOKLINE_FLOOR (or ""), fsync policy. Prints its row.
measure() {
  local name=$1 binary=$2 floor=$3 fsync=$4 round=$5
  local port; port=$(free_port)
  cat >"$WORK/hookline.yaml" <<YAML
server: {host: 127.0.0.1, port: $port}
audit: {path: "$WORK/audit-$name-$round.jsonl", fsync: $fsync}
queue: {capacity: 4000000, workers: 16}
$(sandbox_routes_yaml)
YAML
  HOOKLINE_FLOOR="$floor" "$binary" serve --config "$WORK/hookline.yaml" --log-format json 2>"$WORK/hookline-$name-$round.log" &
  local pid=$!
  PIDS+=($pid)
  wait_http "http://127.0.0.1:$port/healthz"
  rm -rf "$WORK/requests"; mkdir -p "$WORK/requests"
  "$BIN/hookline-bench" sign-requests --count $(( DURATION * 70000 )) --files 2 --first $(( round * 10000000 )) --host "127.0.0.1:$port" "$WORK/requests" >/dev/null
  local loops_before; loops_before=$(loop_ticks "$pid")
  load "$name" "http://127.0.0.1:$port/webhooks/standard" "$pid"
  local cpu=$CPU on_loops; on_loops=$(us_per_request $(( $(loop_ticks "$pid") - loops_before )) "$SERVED")
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$WORK"/audit-*.jsonl
  row "$round" "$name" "$(rps "$WORK/$name.txt")" "$cpu" "$(pct "$WORK/$name.txt" 99)" "event loops $on_loops µs, other threads $(( cpu - on_loops )) µs; non-2xx $(non2xx "$WORK/$name.txt")"
  echo "$name $(rps "$WORK/$name.txt") $cpu $(pct "$WORK/$name.txt" 99) $on_loops" >>"$RESULTS"
}

echo "Where receiving's CPU goes — $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d), $ROUNDS rounds of ${DURATION}s, wrk -t2 -c$CONNECTIONS"
row round variant "requests/s" "CPU µs/req" "p99 (wrk)" "notes"
for round in $(seq 1 "$ROUNDS"); do
  measure http "$FLOOR_BIN/hookline" http batch "$round"
  measure decode "$FLOOR_BIN/hookline" decode batch "$round"
  measure journal "$FLOOR_BIN/hookline" journal batch "$round"
  measure no-sync "$BIN/hookline" "" none "$round"
  measure shipped "$BIN/hookline" "" batch "$round"
done

echo
echo "Ranges over $ROUNDS rounds (requests/s; CPU µs per request; p99 at wrk), and each step's cost in the same round:"
python3 - "$RESULTS" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, rps, cpu, p99, loops = line.split()
    rows[name].append((float(rps), float(cpu), p99, float(loops)))
def span(values, fmt):
    return fmt(min(values)) if min(values) == max(values) else f"{fmt(min(values))}–{fmt(max(values))}"
order = ["http", "decode", "journal", "no-sync", "shipped"]
for name in order:
    r = rows[name]
    print(f"  {name:8s} {span([x[0] for x in r], lambda v: f'{v:,.0f}'):>16s} req/s  {span([x[1] for x in r], lambda v: f'{v:.0f}'):>7s} µs"
          f"  (event loops {span([x[3] for x in r], lambda v: f'{v:.0f}')} µs, other threads {span([x[1] - x[3] for x in r], lambda v: f'{v:.0f}')} µs)")
steps = [("verify + decode + route, and the hop back to the loop", "http", "decode"),
         ("event id, dedup claim, queue room, event, jobs, record", "decode", "journal"),
         ("the journal: encode, write, hand-off to the writer and back", "journal", "no-sync"),
         ("fdatasync before the 202", "no-sync", "shipped")]
for text, a, b in steps:
    deltas = [y[1] - x[1] for x, y in zip(rows[a], rows[b])]
    print(f"  + {text}: {span(deltas, lambda v: f'{v:+.0f}')} µs")
PY
