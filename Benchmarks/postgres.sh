#!/usr/bin/env bash
# Hookline's benchmark of store: postgres, on this machine, against a throwaway PostgreSQL
# cluster with the server's defaults (fsync on, synchronous_commit on, full_page_writes on):
#   1. ingest, one instance: wrk with distinct signed 600-byte Standard Webhooks requests over
#      32 connections; the target is stalled, so what is measured is receiving: verify, decode,
#      the commit that holds the event and its jobs, the 202;
#   2. apply: that backlog, applied by the instance after a restart (the target answering again),
#      in events/s from the first to the last applied;
#   3. ingest, two instances: two wrk processes, 16 connections each, one per instance, at once;
#   4. lease takeover: two instances holding lanes of a failing target; one is SIGKILLed while
#      the target recovers: the time until every job it held is applied by the other;
#   5. RSS per instance, after its ingest;
#   6. pruning: the applied backlog's events, made older than the retention, deleted by
#      hookline_prune in its batches (what every instance runs every 10 s), in events/s;
#   7. bounded tables: one instance ingesting and applying at once with a 10 s retention, the
#      events table sampled every second, then 25 s after the load stops; what counts is the
#      events past the retention and finished more than a prune interval and 5 s ago still there;
#      the rest is work still owed to the target, or not yet old enough;
#   8. deadlocks over the whole run (pg_stat_database, and the instances' logs).
# Run on its own, or from Benchmarks/run.sh (which calls it last).
# Usage: Benchmarks/postgres.sh [--duration SECONDS] [--quick] [--lease SECONDS]
# Knobs for experiments, in the environment: WORKERS (queue.workers, 16), POOL (store.pool_size,
# 10), PG_OPTIONS (extra server options, e.g. "-c synchronous_commit=off"), METRICS_OUT (a file
# to save the instance's /metrics to after the apply phase).
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh

DURATION=10
LEASE=5
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --quick) DURATION=5; shift ;;
    --lease) LEASE="$2"; shift 2 ;;
    *) echo "usage: $0 [--duration SECONDS] [--quick] [--lease SECONDS]" >&2; exit 2 ;;
  esac
done

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] || ! need wrk; then
  echo "bench: installing postgresql and wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql wrk >/dev/null
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

echo "bench: building release" >&2
swift build -c release --product hookline >&2
swift build -c release --product hookline-bench >&2
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d /tmp/hookline-pgbench.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]:-}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [ -d "$WORK/pg" ] && as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.2f}')"; }

# The cluster: PostgreSQL's defaults, except where it listens.
PGPORT=$(free_port)
mkdir -p "$WORK/pg" && [ "$(id -u)" = 0 ] && chown postgres:postgres "$WORK/pg"
as_postgres "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 >"$WORK/initdb.log" 2>&1
as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 ${PG_OPTIONS:-}" start >/dev/null
psql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d hookline -qAt -c "$1"; }
"$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -qc "CREATE DATABASE hookline"
FSYNC=$(psql "SHOW fsync"); SYNC_COMMIT=$(psql "SHOW synchronous_commit")
unfinished() { psql "SELECT count(*) FROM hookline_jobs WHERE NOT done" 2>/dev/null || echo "?"; }

SANDBOX_PORT=$(free_port)
"$BIN/hookline-bench" sandbox --port "$SANDBOX_PORT" --no-rate-limits --no-record >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
PIDS+=($SANDBOX_PID)
wait_http "http://127.0.0.1:$SANDBOX_PORT/_sandbox/requests" || true
fault() { curl -fs -X POST "http://127.0.0.1:$SANDBOX_PORT/_sandbox/faults" -d "$1" >/dev/null; }
clear_faults() { curl -fs -X DELETE "http://127.0.0.1:$SANDBOX_PORT/_sandbox/faults" >/dev/null; }

# A call may start only with its timeout and 1 s of lease left, and a lease is renewed every
# quarter of it: the longest timeout the lease covers.
TARGET_TIMEOUT="$(python3 -c "print(max(100, int(($LEASE * 0.75 - 1) * 1000)))")ms"
config() { # port audit-path [retention]: with a retention, the dedup window follows it
  local dedup="" retention=""
  if [ -n "${3:-}" ]; then dedup=", dedup: {max_age: $3}"; retention=", retention: $3"; fi
  cat <<YAML
server: {host: 127.0.0.1, port: $1}
audit: {path: "$2", fsync: batch}
queue: {capacity: 4000000, workers: ${WORKERS:-16}$dedup}
retry: {base_delay: 20ms, max_delay: 200ms, max_attempts: 1000, max_age: 1h}
store: {kind: postgres, url: "postgres://postgres@127.0.0.1:$PGPORT/hookline?sslmode=disable", lease: ${LEASE}s, pool_size: ${POOL:-10}$retention}
$(sandbox_routes_yaml "${TARGET_TIMEOUT}")
YAML
}
declare -A PORT PID
for name in a b c; do
  PORT[$name]=$(free_port)
  mkdir -p "$WORK/$name"
done
config "${PORT[a]}" "$WORK/a/audit.jsonl" >"$WORK/a.yaml"
config "${PORT[b]}" "$WORK/b/audit.jsonl" >"$WORK/b.yaml"
# Instance c keeps finished events 10 s.
config "${PORT[c]}" "$WORK/c/audit.jsonl" 10s >"$WORK/c.yaml"
serve() { # name: serves $WORK/<name>.yaml, waits for /healthz
  "$BIN/hookline" serve --config "$WORK/$1.yaml" --log-format json 2>>"$WORK/$1.log" &
  PID[$1]=$!
  PIDS+=(${PID[$1]})
  wait_http "http://127.0.0.1:${PORT[$1]}/healthz" || { tail -5 "$WORK/$1.log" >&2; exit 1; }
}
stop() { kill -"$2" "${PID[$1]}" 2>/dev/null || true; wait "${PID[$1]}" 2>/dev/null || true; }
REQUESTS=$(( DURATION * 20000 ))
sign() { # name first: signed requests for that instance, numbered from first
  rm -rf "$WORK/requests-$1"; mkdir -p "$WORK/requests-$1"
  "$BIN/hookline-bench" sign-requests --count "$REQUESTS" --files 2 --first "$2" --host "127.0.0.1:${PORT[$1]}" "$WORK/requests-$1" >&2
}

# 1. Ingest, one instance, the target stalled ---------------------------------------------------
fault '{"path_prefix":"/omnichannel/","delay_ms":600000,"count":100000000}'
serve a
sign a 0
echo "bench: wrk against one Hookline on PostgreSQL for ${DURATION}s" >&2
HOOKLINE_REQUESTS="$WORK/requests-a" wrk -t2 -c32 -d"${DURATION}s" --latency -s Benchmarks/wrk/signed.lua \
  "http://127.0.0.1:${PORT[a]}/webhooks/standard" >"$WORK/wrk-one.txt" 2>&1
ONE_RPS=$(rps "$WORK/wrk-one.txt"); ONE_P50=$(pct "$WORK/wrk-one.txt" 50); ONE_P99=$(pct "$WORK/wrk-one.txt" 99)
ONE_BAD=$(non2xx "$WORK/wrk-one.txt")
RSS_ONE=$(rss_kb "${PID[a]}")

# 2. Apply the backlog: restart with the target answering --------------------------------------
stop a KILL
clear_faults
BACKLOG=$(unfinished)
echo "bench: applying $BACKLOG jobs from PostgreSQL" >&2
START=$(now)
serve a
pg_ticks() { ticks $(pgrep -u postgres postgres); }
H0=$(ticks "${PID[a]}"); P0=$(pg_ticks); S0=$(ticks "$SANDBOX_PID")
while [ "$(unfinished)" != "0" ]; do
  if python3 -c "import sys; sys.exit(0 if $(now) - $START > 600 else 1)"; then echo "bench: the backlog did not drain in 600 s" >&2; break; fi
  sleep 0.2
done
APPLY_SECONDS=$(since "$START")
[ -n "${METRICS_OUT:-}" ] && curl -fs "http://127.0.0.1:${PORT[a]}/metrics" >"$METRICS_OUT"
APPLY_CPU="Hookline $(python3 -c "print(f'{($(ticks "${PID[a]}") - $H0) / 100 / $APPLY_SECONDS:.0%}')"), PostgreSQL $(python3 -c "print(f'{($(pg_ticks) - $P0) / 100 / $APPLY_SECONDS:.0%}')"), the sandbox target $(python3 -c "print(f'{($(ticks "$SANDBOX_PID") - $S0) / 100 / $APPLY_SECONDS:.0%}')") of a core"
APPLY_RATE=$(python3 -c "print(f'{$BACKLOG / $APPLY_SECONDS:,.0f}')")
stop a TERM

# 6. Pruning: the applied backlog, made older than the retention, deleted as instances do it ----
PRUNABLE=$(psql "UPDATE hookline_events SET stored_at = now() - interval '30 days'" >/dev/null; psql "SELECT count(*) FROM hookline_events")
START=$(now)
while :; do
  GONE=$(psql "SELECT hookline_prune(interval '7 days', 5000)")
  [ "$GONE" -lt 5000 ] && break
done
PRUNE_SECONDS=$(since "$START")
PRUNE_RATE=$(python3 -c "print(f'{$PRUNABLE / max(0.001, $PRUNE_SECONDS):,.0f}')")
PRUNE_LEFT=$(psql "SELECT count(*) FROM hookline_events")

# 3. Ingest, two instances at once --------------------------------------------------------------
fault '{"path_prefix":"/omnichannel/","delay_ms":600000,"count":100000000}'
serve a; serve b
sign a 10000000; sign b 20000000
echo "bench: wrk against two Hooklines on one PostgreSQL for ${DURATION}s" >&2
HOOKLINE_REQUESTS="$WORK/requests-a" wrk -t1 -c16 -d"${DURATION}s" --latency -s Benchmarks/wrk/signed.lua \
  "http://127.0.0.1:${PORT[a]}/webhooks/standard" >"$WORK/wrk-two-a.txt" 2>&1 &
WRK_A=$!
HOOKLINE_REQUESTS="$WORK/requests-b" wrk -t1 -c16 -d"${DURATION}s" --latency -s Benchmarks/wrk/signed.lua \
  "http://127.0.0.1:${PORT[b]}/webhooks/standard" >"$WORK/wrk-two-b.txt" 2>&1
wait $WRK_A
TWO_RPS=$(python3 -c "print(f'{$(rps "$WORK/wrk-two-a.txt") + $(rps "$WORK/wrk-two-b.txt"):.2f}')")
TWO_P99="$(pct "$WORK/wrk-two-a.txt" 99) / $(pct "$WORK/wrk-two-b.txt" 99)"
TWO_BAD=$(( $(non2xx "$WORK/wrk-two-a.txt") + $(non2xx "$WORK/wrk-two-b.txt") ))
RSS_A=$(rss_kb "${PID[a]}"); RSS_B=$(rss_kb "${PID[b]}")
stop a KILL; stop b KILL
clear_faults
psql "TRUNCATE hookline_jobs, hookline_events, hookline_lanes, hookline_outbox" >/dev/null

# 4. Lease takeover ------------------------------------------------------------------------------
echo "bench: lease takeover (lease ${LEASE}s)" >&2
fault '{"path_prefix":"/omnichannel/","status":503,"count":100000000}'
serve a; serve b
"$BIN/hookline-bench" post --count 2000 --concurrency 16 --first 30000000 "http://127.0.0.1:${PORT[a]}/webhooks/standard" >&2
"$BIN/hookline-bench" post --count 2000 --concurrency 16 --first 40000000 "http://127.0.0.1:${PORT[b]}/webhooks/standard" >&2
HELD_BY_A=$(psql "SELECT count(*) FROM hookline_lanes WHERE holder = '$(head -1 "$WORK/a/audit.jsonl.instance")'")
stop a KILL
START=$(now)
clear_faults
while [ "$(unfinished)" != "0" ]; do
  if python3 -c "import sys; sys.exit(0 if $(now) - $START > 120 else 1)"; then echo "bench: the takeover did not finish in 120 s" >&2; break; fi
  sleep 0.05
done
TAKEOVER=$(since "$START")
TAKEOVERS=$(curl -fs "http://127.0.0.1:${PORT[b]}/metrics" | awk '/^hookline_lease_takeovers_total/ {s += $2} END {print s + 0}')
stop b TERM
psql "TRUNCATE hookline_jobs, hookline_events, hookline_lanes, hookline_outbox" >/dev/null

# 7. Bounded tables: ingest and apply at once, a 10 s retention ---------------------------------
echo "bench: ingest and apply at once for $(( DURATION * 2 ))s with store.retention 10s" >&2
serve c
sign c 50000000
: >"$WORK/events-sampled.txt"
# Each second: the events in the table, and those overdue — prunable (past the 10 s retention and
# finished) for more than a prune interval and 5 s: what pruning that keeps pace leaves none of.
OVERDUE_SQL="SELECT count(*) FROM hookline_events e WHERE e.stored_at < now() - interval '25 s' AND NOT EXISTS (SELECT 1 FROM hookline_jobs j WHERE j.event_id = e.id AND (NOT j.done OR j.finished_at > now() - interval '15 s'))"
: >"$WORK/overdue-sampled.txt"
( while kill -0 "${PID[c]}" 2>/dev/null; do
    psql "SELECT count(*) FROM hookline_events" >>"$WORK/events-sampled.txt" 2>/dev/null
    psql "$OVERDUE_SQL" >>"$WORK/overdue-sampled.txt" 2>/dev/null
    sleep 1
  done ) &
SAMPLER=$!
HOOKLINE_REQUESTS="$WORK/requests-c" wrk -t2 -c32 -d"$(( DURATION * 2 ))s" --latency -s Benchmarks/wrk/signed.lua \
  "http://127.0.0.1:${PORT[c]}/webhooks/standard" >"$WORK/wrk-bounded.txt" 2>&1
BOUNDED_RPS=$(rps "$WORK/wrk-bounded.txt")
BOUNDED_MAX=$(sort -n "$WORK/events-sampled.txt" | tail -1)
BOUNDED_END=$(psql "SELECT count(*) FROM hookline_events")
BOUNDED_OWED=$(unfinished)
sleep 25
BOUNDED_AFTER=$(psql "SELECT count(*) FROM hookline_events")
BOUNDED_OVERDUE=$(sort -n "$WORK/overdue-sampled.txt" | tail -1)
PRUNED_TOTAL=$(curl -fs "http://127.0.0.1:${PORT[c]}/metrics" | awk '/^hookline_pruned_events_total/ {s += $2} END {print s + 0}')
stop c TERM
kill "$SAMPLER" 2>/dev/null || true

# 8. Deadlocks over the run ----------------------------------------------------------------------
DEADLOCKS=$(psql "SELECT deadlocks FROM pg_stat_database WHERE datname = 'hookline'")
LOGGED_DEADLOCKS=$(cat "$WORK"/*.log | grep -c 'deadlock detected' || true)

echo
echo "Hookline on PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') — $(nproc) cores, fsync $FSYNC, synchronous_commit $SYNC_COMMIT, $(date -u +%Y-%m-%d)"
echo
printf '%-52s %-22s %-16s\n' "measure" "Hookline" "target"
printf '%-52s %-22s %-16s\n' "ingest req/s, one instance (wrk, 32 conns, ${DURATION}s)" "$ONE_RPS" "≥ 5,000"
printf '%-52s %-22s %-16s\n' "  latency p50 / p99" "$ONE_P50 / $ONE_P99" "p99 ≤ 20 ms"
printf '%-52s %-22s %-16s\n' "  non-2xx answers" "$ONE_BAD" "0"
printf '%-52s %-22s %-16s\n' "ingest req/s, two instances (16 conns each)" "$TWO_RPS" ""
printf '%-52s %-22s %-16s\n' "  latency p99 (a / b)" "$TWO_P99" ""
printf '%-52s %-22s %-16s\n' "  non-2xx answers" "$TWO_BAD" "0"
printf '%-52s %-22s %-16s\n' "apply events/s ($BACKLOG jobs, ${WORKERS:-16} workers)" "$APPLY_RATE" "≥ 3,000"
printf '%-52s %-22s %-16s\n' "  CPU while applying" "$APPLY_CPU" ""
printf '%-52s %-22s %-16s\n' "takeover: SIGKILL → all its jobs applied ($HELD_BY_A lanes)" "${TAKEOVER} s (lease ${LEASE} s)" "≤ lease + 2 s"
printf '%-52s %-22s %-16s\n' "  lanes taken over (the survivor's counter)" "$TAKEOVERS" ""
printf '%-52s %-22s %-16s\n' "RSS after ingest: one instance; two (a / b)" "$(mb "$RSS_ONE"); $(mb "$RSS_A") / $(mb "$RSS_B")" ""
printf '%-52s %-22s %-16s\n' "prune events/s ($PRUNABLE events and their jobs)" "$PRUNE_RATE ($PRUNE_LEFT left)" "≥ 2 × ingest"
printf '%-52s %-22s %-16s\n' "ingest + apply at once, retention 10 s: req/s" "$BOUNDED_RPS" ""
printf '%-52s %-22s %-16s\n' "  events in the table: max / at the end / 25 s later" "$BOUNDED_MAX / $BOUNDED_END / $BOUNDED_AFTER" ""
printf '%-52s %-22s %-16s\n' "  unfinished jobs when the load stopped; pruned" "$BOUNDED_OWED; $PRUNED_TOTAL" ""
printf '%-52s %-22s %-16s\n' "  events prunable for over 15 s, max" "$BOUNDED_OVERDUE" "0"
printf '%-52s %-22s %-16s\n' "deadlocks (pg_stat_database; instances' logs)" "$DEADLOCKS; $LOGGED_DEADLOCKS" "0"
