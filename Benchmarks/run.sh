#!/usr/bin/env bash
# Hookline's benchmark: builds release, then measures on this machine, in one run,
#   1. ingest: Hookline (`hookline serve`, fsync: batch, the sandbox as its target) and a Debian
#      nginx answering a static 202 — the ceiling for any HTTP server here — under the same wrk
#      load of distinct signed 600-byte Standard Webhooks requests over 32 connections;
#   2. apply: events/s from queued to applied against the sandbox, rate limits off, 16 workers;
#   3. memory: RSS idle, and with 100,000 jobs queued behind a stalled target; then ingest alone
#      (the same wrk load with the target stalled, so no apply work shares the cores), and the
#      HTTP stack's floor (the same process answering GET /healthz);
#   4. start-up: time to listening with a 1-million-line audit log;
#   5. the hot path's pure steps (verify, decode, audit line) in nanoseconds per call;
#   and beside nginx, a plain Node receiver (Benchmarks/node/receiver.js) under the same load,
#   with CPU µs per request (process CPU time from /proc over the wrk run / requests served)
#   for nginx, Node and Hookline alone;
#   6. store: postgres on a throwaway PostgreSQL 15 cluster with its defaults (fsync on,
#      synchronous_commit on): ingest with one and with two instances (target stalled), apply
#      events/s, lease takeover after a SIGKILL, RSS per instance. --no-postgres skips it.
# Usage: Benchmarks/run.sh [--duration SECONDS] [--connections N] [--quick] [--no-postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh

DURATION=10
CONNECTIONS=32
QUICK=0
POSTGRES=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --quick) QUICK=1; DURATION=5; shift ;;
    --no-postgres) POSTGRES=0; shift ;;
    *) echo "usage: $0 [--duration SECONDS] [--connections N] [--quick] [--no-postgres]" >&2; exit 2 ;;
  esac
done

need_wrk_and_nginx

echo "bench: building release (the first time takes several minutes)" >&2
swift build -c release --product hookline >&2
swift build -c release --product hookline-bench >&2
swift build -c release --product hookline-allocations >&2
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d /tmp/hookline-bench.XXXXXX)"
PIDS=()
trap cleanup EXIT

start_sandbox

config() { # port audit-path capacity
  cat <<YAML
server: {host: 127.0.0.1, port: $1}
audit: {path: "$2", fsync: batch}
queue: {capacity: $3, workers: 16}
$(sandbox_routes_yaml)
YAML
}

serve() { # name port: serves $WORK/<name>.yaml (log in $WORK/<name>.log), waits for /healthz; sets SERVED_PID
  "$BIN/hookline" serve --config "$WORK/$1.yaml" --log-format json 2>"$WORK/$1.log" &
  SERVED_PID=$!
  PIDS+=($SERVED_PID)
  wait_http "http://127.0.0.1:$2/healthz"
}

# 1. Ingest ------------------------------------------------------------------------------------
HOOKLINE_PORT=$(free_port)
config "$HOOKLINE_PORT" "$WORK/audit.jsonl" 4000000 >"$WORK/hookline.yaml"
serve hookline "$HOOKLINE_PORT"
HOOKLINE_PID=$SERVED_PID
sleep 1
IDLE_RSS=$(rss_kb $HOOKLINE_PID)

REQUESTS=$(( DURATION * 60000 ))
mkdir -p "$WORK/requests"
"$BIN/hookline-bench" sign-requests --count "$REQUESTS" --files 2 --host "127.0.0.1:$HOOKLINE_PORT" "$WORK/requests" >&2

NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT"

run_wrk() { # url output
  HOOKLINE_REQUESTS="$WORK/requests" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s Benchmarks/wrk/signed.lua "$1" >"$2" 2>&1
}
# nginx first, on a quiet machine: Hookline keeps applying its queue after wrk stops.
echo "bench: wrk against nginx for ${DURATION}s" >&2
NGINX_PIDS=($(nginx_pids))
T0=$(ticks "${NGINX_PIDS[@]}")
run_wrk "http://127.0.0.1:$NGINX_PORT/webhooks/standard" "$WORK/wrk-nginx.txt"
N_CPU=$(us_per_request $(( $(ticks "${NGINX_PIDS[@]}") - T0 )) "$(served "$WORK/wrk-nginx.txt")")
kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true

# The plain Node receiver (verify with crypto, JSON.parse, a JSONL append, 202) under the same load.
NODE_PORT=$(free_port)
if need node; then
  echo "bench: wrk against the Node receiver for ${DURATION}s" >&2
  node Benchmarks/node/receiver.js "$NODE_PORT" "$SECRET" "$WORK/node.jsonl" "${NODE_APPEND:-sync}" &
  NODE_PID=$!
  PIDS+=($NODE_PID)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NODE_PORT/" && break; sleep 0.05; done
  T0=$(ticks "$NODE_PID")
  run_wrk "http://127.0.0.1:$NODE_PORT/webhooks/standard" "$WORK/wrk-node.txt"
  J_CPU=$(us_per_request $(( $(ticks "$NODE_PID") - T0 )) "$(served "$WORK/wrk-node.txt")")
  kill "$NODE_PID" 2>/dev/null || true
else
  echo "bench: node is not installed; the Node receiver is skipped" >&2
fi
echo "bench: wrk against Hookline for ${DURATION}s" >&2
run_wrk "http://127.0.0.1:$HOOKLINE_PORT/webhooks/standard" "$WORK/wrk-hookline.txt"
queued() { curl -fs "http://127.0.0.1:$1/metrics" | awk '/^hookline_queue_jobs / {print int($2)}'; }
DRAIN_START=$(date +%s.%N)
BACKLOG=$(queued "$HOOKLINE_PORT")
while [ "$(queued "$HOOKLINE_PORT")" != "0" ]; do
  if python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $DRAIN_START > 300 else 1)"; then echo "bench: the queue did not drain in 300 s" >&2; break; fi
  sleep 0.2
done
DRAIN=$(python3 -c "print(f'{$(date +%s.%N) - $DRAIN_START:.1f}')")
# The floor of the HTTP stack itself: the same Hookline process answering GET /healthz (no body,
# no signature, no journal) under the same wrk load.
echo "bench: wrk against Hookline's GET /healthz for ${DURATION}s" >&2
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$HOOKLINE_PORT/healthz" >"$WORK/wrk-healthz.txt" 2>&1

sent() { awk '/requests in/ {print $1}' "$1"; }
H_RPS=$(rps "$WORK/wrk-hookline.txt"); N_RPS=$(rps "$WORK/wrk-nginx.txt")
H_P50=$(pct "$WORK/wrk-hookline.txt" 50); H_P99=$(pct "$WORK/wrk-hookline.txt" 99)
N_P50=$(pct "$WORK/wrk-nginx.txt" 50); N_P99=$(pct "$WORK/wrk-nginx.txt" 99)
H_BAD=$(non2xx "$WORK/wrk-hookline.txt")
H_SENT=$(sent "$WORK/wrk-hookline.txt")
RATIO=$(python3 -c "print(f'{$H_RPS / $N_RPS:.2f}')")
if [ "$H_SENT" -gt "$REQUESTS" ]; then DISTINCT="no: $H_SENT sent, $REQUESTS signed (the rest were duplicates)"; else DISTINCT="yes"; fi

curl -fs "http://127.0.0.1:$HOOKLINE_PORT/metrics" >"$WORK/metrics.txt" || true
F_RPS=$(rps "$WORK/wrk-healthz.txt")
H_SERVER_P99=$(server_p99 "$WORK/metrics.txt")
kill -TERM $HOOKLINE_PID; wait $HOOKLINE_PID 2>/dev/null || true

# 2. Apply -------------------------------------------------------------------------------------
APPLY_EVENTS=$([ $QUICK = 1 ] && echo 20000 || echo 50000)
echo "bench: apply throughput with $APPLY_EVENTS events" >&2
APPLY=$("$BIN/hookline-bench" apply --events "$APPLY_EVENTS" --workers 16)
APPLY_RATE=$(echo "$APPLY" | sed -n 's/.*= \([0-9]*\) events\/s.*/\1/p')

# 3. Memory with 100,000 jobs queued behind a stalled target -------------------------------------
echo "bench: RSS with 100,000 jobs queued" >&2
stall_target
MEM_PORT=$(free_port)
config "$MEM_PORT" "$WORK/memory.jsonl" 200000 >"$WORK/memory.yaml"
serve memory "$MEM_PORT"
MEM_PID=$SERVED_PID
"$BIN/hookline-bench" post --count 100000 "http://127.0.0.1:$MEM_PORT/webhooks/standard" >&2
QUEUED=$(curl -fs "http://127.0.0.1:$MEM_PORT/metrics" | awk '/^hookline_queue_jobs / {print $2}')
QUEUED=${QUEUED%.*}; QUEUED=${QUEUED:-?}
QUEUED_RSS=$(rss_kb $MEM_PID)
kill -KILL $MEM_PID; wait $MEM_PID 2>/dev/null || true

# 3b. Ingest alone: the same wrk load, the target stalled so no apply work shares the 2 cores ----
echo "bench: wrk against Hookline with the target stalled (ingest alone) for ${DURATION}s" >&2
ALONE_PORT=$(free_port)
config "$ALONE_PORT" "$WORK/alone.jsonl" 4000000 >"$WORK/alone.yaml"
serve alone "$ALONE_PORT"
ALONE_PID=$SERVED_PID
rm -rf "$WORK/requests"; mkdir -p "$WORK/requests"
"$BIN/hookline-bench" sign-requests --count "$REQUESTS" --files 2 --host "127.0.0.1:$ALONE_PORT" "$WORK/requests" >&2
T0=$(ticks "$ALONE_PID")
run_wrk "http://127.0.0.1:$ALONE_PORT/webhooks/standard" "$WORK/wrk-alone.txt"
A_CPU=$(us_per_request $(( $(ticks "$ALONE_PID") - T0 )) "$(served "$WORK/wrk-alone.txt")")
A_RPS=$(rps "$WORK/wrk-alone.txt"); A_P50=$(pct "$WORK/wrk-alone.txt" 50); A_P99=$(pct "$WORK/wrk-alone.txt" 99)
A_BAD=$(non2xx "$WORK/wrk-alone.txt")
A_RATIO=$(python3 -c "print(f'{$A_RPS / $N_RPS:.2f}')")
curl -fs "http://127.0.0.1:$ALONE_PORT/metrics" >"$WORK/metrics-alone.txt" || true
A_SERVER_P99=$(server_p99 "$WORK/metrics-alone.txt")
kill -KILL $ALONE_PID; wait $ALONE_PID 2>/dev/null || true

# 3c. Ingest alone with tracing on: every request a trace (ratio 1.0), then one in a hundred
# (0.01). Three spans a request (receive, verify, journal), batched and sent over OTLP/HTTP
# protobuf to nginx's /v1/traces (an empty answer), with a queue large enough that spans are
# sent, not dropped, while the exporter keeps up (the log says when it does not).
declare -A T_RPS T_CPU T_BAD T_DROPPED
for R in 1.0 0.01; do
  echo "bench: wrk against Hookline with tracing on at ratio $R (ingest alone) for ${DURATION}s" >&2
  T_PORT=$(free_port)
  { config "$T_PORT" "$WORK/traced-$R.jsonl" 4000000
    echo "tracing: {enabled: true, endpoint: \"http://127.0.0.1:$NGINX_PORT\", sample_ratio: $R}"; } >"$WORK/traced-$R.yaml"
  OTEL_BSP_MAX_QUEUE_SIZE=65536 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=4096 OTEL_BSP_SCHEDULE_DELAY=1000 serve "traced-$R" "$T_PORT"
  T_PID=$SERVED_PID
  rm -rf "$WORK/requests"; mkdir -p "$WORK/requests"
  "$BIN/hookline-bench" sign-requests --count "$REQUESTS" --files 2 --host "127.0.0.1:$T_PORT" "$WORK/requests" >&2
  T0=$(ticks "$T_PID")
  run_wrk "http://127.0.0.1:$T_PORT/webhooks/standard" "$WORK/wrk-traced-$R.txt"
  T_CPU[$R]=$(us_per_request $(( $(ticks "$T_PID") - T0 )) "$(served "$WORK/wrk-traced-$R.txt")")
  T_RPS[$R]=$(rps "$WORK/wrk-traced-$R.txt")
  T_BAD[$R]=$(non2xx "$WORK/wrk-traced-$R.txt")
  kill -TERM $T_PID; wait $T_PID 2>/dev/null || true
  T_DROPPED[$R]=$(python3 -c "
import json,sys
total=0
for line in open('$WORK/traced-$R.log'):
    try: total += int(json.loads(line).get('dropped_count', 0))
    except Exception: pass
print(total)")
done

# 4. Start-up with a 1-million-line audit log ----------------------------------------------------
echo "bench: start-up with a 1,000,000-line audit log" >&2
"$BIN/hookline-bench" generate-log --lines 1000000 --pending 1000 "$WORK/big.jsonl" >&2
sync
BIG_PORT=$(free_port)
config "$BIG_PORT" "$WORK/big.jsonl" 200000 >"$WORK/big.yaml"
START=$(date +%s.%N)
serve big "$BIG_PORT"
BIG_PID=$SERVED_PID
READY=$(python3 -c "print(f'{$(date +%s.%N) - $START:.2f}')")
kill -TERM $BIG_PID; wait $BIG_PID 2>/dev/null || true

# 5. The hot path's pure steps, one call at a time ------------------------------------------------
MICRO=$("$BIN/hookline-bench" micro)
# Allocations per accepted webhook, bytes in to the journal write (every thread, counted).
ALLOCATIONS=$("$BIN/hookline-allocations" --warmup 2000 --requests 5000 | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%s (%s bytes)" % (d["mallocs_per_request"], d["bytes_per_request"]))')

echo
echo "Hookline benchmark — $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(date -u +%Y-%m-%d)"
echo
printf '%-44s %-14s %-14s %-10s\n' "measure" "Hookline" "nginx (202)" "target"
printf '%-44s %-14s %-14s %-10s\n' "ingest requests/s (wrk, $CONNECTIONS conns, ${DURATION}s)" "$H_RPS" "$N_RPS" "≥ 0.5 × nginx"
printf '%-44s %-14s %-14s %-10s\n' "  ratio Hookline / nginx" "$RATIO" "" "≥ 0.50"
printf '%-44s %-14s %-14s %-10s\n' "  latency p50" "$H_P50" "$N_P50" ""
printf '%-44s %-14s %-14s %-10s\n' "  latency p99" "$H_P99" "$N_P99" "≤ 5 ms"
printf '%-44s %-14s %-14s %-10s\n' "  non-2xx answers" "$H_BAD" "" "0"
printf '%-44s %-14s %-14s %-10s\n' "  every request distinct" "$DISTINCT" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  p99 inside Hookline (its ingest histogram)" "$H_SERVER_P99" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  queued when wrk stopped; drained in" "$BACKLOG; ${DRAIN} s" "" ""
printf '%-44s %-14s %-14s %-10s\n' "ingest alone (target stalled) requests/s" "$A_RPS" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  ratio Hookline / nginx" "$A_RATIO" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  latency p50 / p99" "$A_P50 / $A_P99" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  p99 inside Hookline" "$A_SERVER_P99" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  non-2xx answers" "$A_BAD" "" ""
printf '%-44s %-14s %-14s %-10s\n' "  CPU µs per request (process CPU / served)" "$A_CPU" "$N_CPU" "≤ 45"
for R in 1.0 0.01; do
  printf '%-44s %-14s %-14s %-10s\n' "ingest alone, tracing at ratio $R: req/s" "${T_RPS[$R]}" "" ""
  printf '%-44s %-14s %-14s %-10s\n' "  CPU µs per request; non-2xx; spans dropped" "${T_CPU[$R]}; ${T_BAD[$R]}; ${T_DROPPED[$R]}" "" ""
done
if [ -f "$WORK/wrk-node.txt" ]; then
  J_RPS=$(rps "$WORK/wrk-node.txt"); J_P99=$(pct "$WORK/wrk-node.txt" 99)
  printf '%-44s %-14s %-14s %-10s\n' "Node receiver requests/s; p99; CPU µs/req" "$J_RPS; $J_P99; $J_CPU" "" ""
  printf '%-44s %-14s %-14s %-10s\n' "  ratio Hookline alone / Node (req/s)" "$(python3 -c "print(f'{$A_RPS / $J_RPS:.2f}')")" "" "≥ 3.00"
  printf '%-44s %-14s %-14s %-10s\n' "  ratio Hookline / Node (CPU per request)" "$(python3 -c "print(f'{$A_CPU / max(1, $J_CPU):.2f}')")" "" ""
fi
printf '%-44s %-14s %-14s %-10s\n' "HTTP floor: Hookline GET /healthz req/s" "$F_RPS" "$N_RPS" ""
printf '%-44s %-14s %-14s %-10s\n' "apply events/s (16 workers, no rate limits)" "$APPLY_RATE" "" "≥ 5,000"
printf '%-44s %-14s %-14s %-10s\n' "RSS idle" "$(mb "$IDLE_RSS")" "" "≤ 40 MB"
printf '%-44s %-14s %-14s %-10s\n' "RSS with $QUEUED jobs queued" "$(mb "$QUEUED_RSS")" "" "≤ 150 MB"
printf '%-44s %-14s %-14s %-10s\n' "start-up with a 1,000,000-line log" "${READY} s" "" "≤ 3 s"
printf '%-44s %-14s %-14s %-10s\n' "allocations per accepted webhook" "$ALLOCATIONS" "" "≤ 25"
echo
echo "$MICRO"

# 6. store: postgres, on a throwaway cluster with PostgreSQL's defaults -------------------------
if [ "$POSTGRES" = 1 ]; then
  echo
  Benchmarks/postgres.sh --duration "$DURATION"
fi
