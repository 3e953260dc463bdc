# Helpers Benchmarks/run.sh and Benchmarks/postgres.sh share (sourced, not run).
need() { command -v "$1" >/dev/null 2>&1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 1 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 never answered" >&2; return 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
mb() { python3 -c "print(f'{$1 / 1024:.0f} MB')"; }
# CPU time (user + system, in clock ticks) of these processes, summed.
ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done; echo $t; }
# Figures from a wrk report.
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2%" '$1 == p {print $2}' "$1"; }
non2xx() { local n; n=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$1"); echo "${n:-0}"; }
served() { awk '/requests in/ {print $1}' "$1"; }
# The source, target and route every benchmark configuration uses: Standard Webhooks in, the
# sandbox's omnichannel out (needs SECRET and SANDBOX_PORT).
sandbox_routes_yaml() {
  cat <<YAML
sources:
  - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "$SECRET"}}
targets:
  - {name: omnichannel, kind: omnichannel, base_url: "http://127.0.0.1:$SANDBOX_PORT/omnichannel", api_key: omni-key}
routes:
  - {from: standard, to: omnichannel, contact_id: source_id}
YAML
}
