# Helpers the benchmark scripts share (sourced, not run).
# The Standard Webhooks secret every benchmark configures and signs with (a published test value).
SECRET='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
need() { command -v "$1" >/dev/null 2>&1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 1 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 never answered" >&2; return 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
mb() { python3 -c "print(f'{$1 / 1024:.0f} MB')"; }
# CPU time (user + system, in clock ticks) of these processes, summed.
ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done; echo $t; }
# CPU µs per request from clock ticks and requests served.
TICK_US=$(( 1000000 / $(getconf CLK_TCK) ))
us_per_request() { python3 -c "print(f'{$1 * $TICK_US / max(1, $2):.0f}')"; }  # ticks requests
# Server-side p99 from Hookline's own histogram (head received → answer written): the upper bound
# of the first bucket holding 99% of the deliveries.
server_p99() {
  awk '/^hookline_ingest_duration_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); n[++k] = $2; l[k] = le }
       /^hookline_ingest_duration_seconds_count/ { total += $2 }
       END { for (i = 1; i <= k; i++) if (n[i] >= 0.99 * total) { printf "≤ %g ms", l[i] * 1000; exit } }' "$1"
}
# Figures from a wrk report.
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2%" '$1 == p {print $2}' "$1"; }
non2xx() { local n; n=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$1"); echo "${n:-0}"; }
served() { awk '/requests in/ {print $1}' "$1"; }
# The source, target and route every benchmark configuration uses: Standard Webhooks in, the
# sandbox's omnichannel out (needs SECRET and SANDBOX_PORT). An argument sets the target's timeout.
sandbox_routes_yaml() {
  cat <<YAML
sources:
  - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "$SECRET"}}
targets:
  - {name: omnichannel, kind: omnichannel, base_url: "http://127.0.0.1:$SANDBOX_PORT/omnichannel", api_key: omni-key${1:+, timeout: $1}}
routes:
  - {from: standard, to: omnichannel, contact_id: source_id}
YAML
}
# wrk and nginx from Debian's packages, when missing (as root on a fresh machine).
need_wrk_and_nginx() {
  if ! need wrk || ! need nginx; then
    echo "bench: installing wrk and nginx" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
  fi
}
# Kills the processes in PIDS and nginx, and removes WORK (set as the EXIT trap).
cleanup() {
  for pid in "${PIDS[@]:-}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
# A Debian nginx answering a static 202 on 127.0.0.1:PORT, its files under WORK: the ceiling
# for any HTTP server on the machine.
start_nginx() { # port
  mkdir -p "$WORK/nginx-temp"
  cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-temp;
  client_body_buffer_size 64k;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$1;
    location / { default_type application/json; return 202 '{"status":"accepted"}'; }
    # A sink for Hookline's spans when tracing is measured: an empty ExportTraceServiceResponse.
    location = /v1/traces { default_type application/x-protobuf; return 200 ''; }
  }
}
NGINX
  nginx -c "$WORK/nginx.conf"
  for _ in $(seq 1 100); do [ -f "$WORK/nginx.pid" ] && break; sleep 0.05; done
}
# nginx's master and worker processes.
nginx_pids() { echo "$(cat "$WORK/nginx.pid")" $(pgrep -P "$(cat "$WORK/nginx.pid")"); }
# The sandbox CRMs (rate limits off, requests not recorded) on a free port: sets SANDBOX_PORT.
start_sandbox() {
  SANDBOX_PORT=$(free_port)
  "$BIN/hookline-bench" sandbox --port "$SANDBOX_PORT" --no-rate-limits --no-record >"$WORK/sandbox.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$SANDBOX_PORT/_sandbox/requests"
}
# From now on the sandbox's omnichannel API never answers: Hookline's jobs wait, and receiving
# is all that runs.
stall_target() {
  curl -fs -X POST "http://127.0.0.1:$SANDBOX_PORT/_sandbox/faults" -d '{"path_prefix":"/omnichannel/","delay_ms":600000,"count":100000000}' >/dev/null
}
# `--rounds N` and `--duration SECONDS` for the scripts that measure in rounds (ingest.sh,
# floors.sh): sets ROUNDS (3) and DURATION (6).
parse_rounds() {
  ROUNDS=3
  DURATION=6
  while [ $# -gt 0 ]; do
    case "$1" in
      --rounds) ROUNDS="$2"; shift 2 ;;
      --duration) DURATION="$2"; shift 2 ;;
      *) echo "usage: $0 [--rounds N] [--duration SECONDS]" >&2; exit 2 ;;
    esac
  done
}
# Release builds of hookline and hookline-bench: sets BIN to the directory they are in.
build_release() {
  swift build -c release --product hookline >&2
  swift build -c release --product hookline-bench >&2
  BIN="$(swift build -c release --show-bin-path)"
}
# The setup ingest.sh and floors.sh share: their options, 32 connections, wrk and nginx, the
# release build, a work directory (/tmp/hookline-NAME.*) cleaned up at exit, and the sandbox with
# its target stalled, so that only receiving is measured. Usage: begin_rounds NAME "$@".
begin_rounds() {
  local name=$1; shift
  parse_rounds "$@"
  CONNECTIONS=32
  need_wrk_and_nginx
  build_release
  WORK="$(mktemp -d "/tmp/hookline-$name.XXXXXX")"
  PIDS=()
  trap cleanup EXIT
  start_sandbox
  stall_target
}
# The signed-delivery load of ingest.sh and floors.sh: wrk replaying $WORK/requests for DURATION
# over CONNECTIONS connections. Usage: load NAME URL PID...; the report goes to $WORK/NAME.txt,
# and SERVED and CPU (the PIDs' µs per request) are set.
load() {
  local name=$1 url=$2; shift 2
  local before; before=$(ticks "$@")
  HOOKLINE_REQUESTS="$WORK/requests" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s Benchmarks/wrk/signed.lua "$url" >"$WORK/$name.txt" 2>&1
  SERVED=$(served "$WORK/$name.txt")
  CPU=$(us_per_request $(( $(ticks "$@") - before )) "$SERVED")
}
