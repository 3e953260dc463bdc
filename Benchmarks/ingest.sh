#!/usr/bin/env bash
# Receiving alone, against its peers and its floors, in rounds: each round runs, one after the
# other under the same wrk load (2 threads, 32 connections, distinct signed 600-byte Standard
# Webhooks deliveries),
#   nginx answering a static 202 (the ceiling for any HTTP server here),
#   the plain Node receiver (Benchmarks/node/receiver.js: crypto, JSON.parse, appendFileSync, 202),
#   the same receiver answering only after an fdatasync shared by the requests waiting (the
#   promise Hookline keeps: durable before 202),
#   Hookline with its one target stalled (fsync: batch), so that only receiving runs,
#   the same Hookline process answering GET /healthz (what NIO's HTTP/1 costs before any work),
# and then times write + fdatasync of received lines alone at the batch size Hookline reached in
# that round (`hookline-bench durable-write`). CPU µs per request is the server's process CPU
# (user + system, /proc/PID/stat) over the wrk run divided by the requests it served.
# Per round it prints one row per server; at the end, the range of each figure over the rounds.
# Usage: Benchmarks/ingest.sh [--rounds N] [--duration SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh

begin_rounds ingest "$@"

NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT"

# Voluntary + involuntary context switches and minor page faults of a process, summed over its threads.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }
faults() { awk '{print $10}' "/proc/$1/stat"; }
# The machine's stolen and total CPU ticks (a VM's host running other guests shows as steal).
steal() { awk '/^cpu / {print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
row() { printf '%-6s %-26s %12s %10s %10s %s\n' "$@"; }
RESULTS="$WORK/results.txt"
: >"$RESULTS"

echo "Receiving alone — $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d), $ROUNDS rounds of ${DURATION}s, wrk -t2 -c$CONNECTIONS"
row round server "requests/s" "CPU µs/req" "p99 (wrk)" "notes"
for round in $(seq 1 "$ROUNDS"); do
  read -r STEAL0 TOTAL0 <<<"$(steal)"
  PORT=$(free_port)
  cat >"$WORK/hookline.yaml" <<YAML
server: {host: 127.0.0.1, port: $PORT}
audit: {path: "$WORK/audit-$round.jsonl", fsync: batch}
queue: {capacity: 4000000, workers: 16}
$(sandbox_routes_yaml)
YAML
  "$BIN/hookline" serve --config "$WORK/hookline.yaml" --log-format json 2>"$WORK/hookline-$round.log" &
  HOOKLINE_PID=$!
  PIDS+=($HOOKLINE_PID)
  wait_http "http://127.0.0.1:$PORT/healthz"
  rm -rf "$WORK/requests"; mkdir -p "$WORK/requests"
  "$BIN/hookline-bench" sign-requests --count $(( DURATION * 60000 )) --files 2 --first $(( round * 10000000 )) --host "127.0.0.1:$PORT" "$WORK/requests" >/dev/null

  NGINX_PIDS=($(nginx_pids))
  load nginx "http://127.0.0.1:$NGINX_PORT/webhooks/standard" "${NGINX_PIDS[@]}"
  row "$round" "nginx (static 202)" "$(rps "$WORK/nginx.txt")" "$CPU" "$(pct "$WORK/nginx.txt" 99)" "non-2xx $(non2xx "$WORK/nginx.txt")"
  echo "nginx $(rps "$WORK/nginx.txt") $CPU $(pct "$WORK/nginx.txt" 99)" >>"$RESULTS"

  if need node; then
    # The plain receiver, then the same with an fdatasync before each 202 (group commit).
    for NODE_MODE in sync durable; do
      NAME=node; LABEL="Node receiver"
      [ "$NODE_MODE" = durable ] && { NAME=node-durable; LABEL="Node + fdatasync"; }
      NODE_PORT=$(free_port)
      node Benchmarks/node/receiver.js "$NODE_PORT" "$SECRET" "$WORK/$NAME.jsonl" "$NODE_MODE" &
      NODE_PID=$!
      for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NODE_PORT/" && break; sleep 0.05; done
      load "$NAME" "http://127.0.0.1:$NODE_PORT/webhooks/standard" "$NODE_PID"
      kill "$NODE_PID" 2>/dev/null || true
      wait "$NODE_PID" 2>/dev/null || true
      rm -f "$WORK/$NAME.jsonl"
      row "$round" "$LABEL" "$(rps "$WORK/$NAME.txt")" "$CPU" "$(pct "$WORK/$NAME.txt" 99)" "non-2xx $(non2xx "$WORK/$NAME.txt")"
      echo "$NAME $(rps "$WORK/$NAME.txt") $CPU $(pct "$WORK/$NAME.txt" 99)" >>"$RESULTS"
    done
  fi

  SWITCHES=$(switches "$HOOKLINE_PID"); FAULTS=$(faults "$HOOKLINE_PID")
  load hookline "http://127.0.0.1:$PORT/webhooks/standard" "$HOOKLINE_PID"
  SWITCHES=$(( $(switches "$HOOKLINE_PID") - SWITCHES )); FAULTS=$(( $(faults "$HOOKLINE_PID") - FAULTS ))
  curl -fs "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"
  SYNCS=$(awk '/^hookline_audit_fsync_duration_seconds_count/ {print int($2)}' "$WORK/metrics.txt")
  BATCH=$(python3 -c "print(f'{$SERVED / max(1, ${SYNCS:-0}):.1f}')")
  INSIDE=$(server_p99 "$WORK/metrics.txt")
  NON2XX=$(non2xx "$WORK/hookline.txt")
  NOTES="$BATCH per fdatasync; $(python3 -c "print(f'{$SWITCHES / max(1, $SERVED):.2f} switches, {$FAULTS / max(1, $SERVED):.2f} faults')") per request; p99 inside $INSIDE; non-2xx $NON2XX"
  row "$round" "Hookline (target stalled)" "$(rps "$WORK/hookline.txt")" "$CPU" "$(pct "$WORK/hookline.txt" 99)" "$NOTES"
  echo "hookline $(rps "$WORK/hookline.txt") $CPU $(pct "$WORK/hookline.txt" 99) $BATCH" >>"$RESULTS"

  BEFORE=$(ticks "$HOOKLINE_PID")
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/healthz" >"$WORK/healthz.txt" 2>&1
  CPU=$(us_per_request $(( $(ticks "$HOOKLINE_PID") - BEFORE )) "$(served "$WORK/healthz.txt")")
  row "$round" "Hookline GET /healthz" "$(rps "$WORK/healthz.txt")" "$CPU" "$(pct "$WORK/healthz.txt" 99)" "NIO's HTTP/1 and sockets, no work"
  echo "healthz $(rps "$WORK/healthz.txt") $CPU $(pct "$WORK/healthz.txt" 99)" >>"$RESULTS"
  kill -KILL "$HOOKLINE_PID" 2>/dev/null || true
  wait "$HOOKLINE_PID" 2>/dev/null || true

  SIZE=$(python3 -c "print(max(1, round($BATCH)))")
  FLOOR=$("$BIN/hookline-bench" durable-write --batch "$SIZE" --batches 1000 --directory "$WORK" | tail -1)
  DURABLE=$(echo "$FLOOR" | sed -n 's/.*= \([0-9]*\) µs CPU a delivery.*/\1/p')
  row "$round" "write + fdatasync alone" "" "$DURABLE" "" "batches of $SIZE received lines (hookline-bench durable-write)"
  echo "durable 0 $DURABLE 0" >>"$RESULTS"
  read -r STEAL1 TOTAL1 <<<"$(steal)"
  STOLEN=$(python3 -c "print(f'{100 * ($STEAL1 - $STEAL0) / max(1, $TOTAL1 - $TOTAL0):.0f}')")
  echo "       (CPU time stolen by the VM's host during this round: $STOLEN %)"
  echo "steal $STOLEN" >>"$RESULTS"
done

echo
echo "Ranges over $ROUNDS rounds (requests/s; CPU µs per request; p99 at wrk):"
python3 - "$RESULTS" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    rows[parts[0]].append(parts[1:])
def span(values, fmt):
    values = [v for v in values if v is not None]
    return fmt(min(values)) if min(values) == max(values) else f"{fmt(min(values))}–{fmt(max(values))}"
def ms(text):
    return float(text[:-2]) if text.endswith("ms") else float(text[:-2]) / 1000 if text.endswith("us") else float(text[:-1]) * 1000 if text.endswith("s") else None
names = {"nginx": "nginx (static 202)", "node": "Node receiver", "node-durable": "Node + fdatasync", "hookline": "Hookline (target stalled)", "healthz": "Hookline GET /healthz", "durable": "write + fdatasync alone"}
for key in ["nginx", "node", "node-durable", "hookline", "healthz", "durable"]:
    if key not in rows: continue
    r = rows[key]
    rps = span([float(x[0]) for x in r], lambda v: f"{v:,.0f}") if key != "durable" else "-"
    cpu = span([float(x[1]) for x in r], lambda v: f"{v:.0f}")
    p99 = span([ms(x[2]) for x in r], lambda v: f"{v:.1f} ms") if key != "durable" else "-"
    print(f"  {names[key]:28s} {rps:>18s}  {cpu:>8s} µs  {p99:>16s}")
if "steal" in rows:
    print(f"  CPU time stolen by the VM's host: {span([float(x[0]) for x in rows['steal']], lambda v: f'{v:.0f} %')} of each round")
if "hookline" in rows and "node" in rows:
    ratios = [float(h[0]) / float(n[0]) for h, n in zip(rows["hookline"], rows["node"])]
    print(f"  Hookline / Node, requests/s, same round: {span(ratios, lambda v: f'{v:.2f}')} (target ≥ 3)")
if "hookline" in rows and "node-durable" in rows:
    ratios = [float(h[0]) / float(n[0]) for h, n in zip(rows["hookline"], rows["node-durable"])]
    print(f"  Hookline / Node + fdatasync, requests/s, same round: {span(ratios, lambda v: f'{v:.2f}')}")
if "hookline" in rows and "healthz" in rows and "durable" in rows:
    floors = [float(f[1]) + float(d[1]) for f, d in zip(rows["healthz"], rows["durable"])]
    print(f"  floor = GET /healthz CPU + write + fdatasync CPU at the round's batch: {span(floors, lambda v: f'{v:.0f}')} µs (target ≤ 45)")
PY
