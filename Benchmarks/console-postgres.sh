#!/usr/bin/env bash
# The console on PostgreSQL tables the size of a million-line audit log: 476,645 events (600-byte
# payloads, 5,000 contacts) and their jobs, ended, loaded straight into a throwaway cluster; then
# `hookline-bench console --postgres URL` times the same requests as on the file store.
#   Benchmarks/console-postgres.sh [--events N]
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh

EVENTS=476645
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    *) echo "usage: $0 [--events N]" >&2; exit 2 ;;
  esac
done

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$PGBIN" ] || { echo "bench: needs PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
echo "bench: building release" >&2
swift build -c release --product hookline >&2
swift build -c release --product hookline-bench >&2
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d /tmp/hookline-consolepg.XXXXXX)"
chmod 755 "$WORK"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -d "$WORK/pg" ] && as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PGPORT=$(free_port)
mkdir -p "$WORK/pg" && [ "$(id -u)" = 0 ] && chown postgres:postgres "$WORK/pg"
as_postgres "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 >"$WORK/initdb.log" 2>&1
as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
"$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -qc "CREATE DATABASE hookline"
URL="postgres://postgres@127.0.0.1:$PGPORT/hookline"
cat >"$WORK/migrate.yaml" <<YAML
audit: {path: "$WORK/migrate.jsonl"}
store: {kind: postgres, url: "$URL"}
sources:
  - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
targets:
  - {name: omnichannel, kind: omnichannel, base_url: "http://127.0.0.1:9/omnichannel", api_key: k}
routes:
  - {from: standard, to: omnichannel}
YAML
"$BIN/hookline" migrate --config "$WORK/migrate.yaml" >&2
start=$(date +%s.%N)
"$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d hookline -q <<SQL
INSERT INTO hookline_events (id, source, message, type, contact, targets, received_at, payload, accepted_by)
SELECT 'evt_bench_' || lpad(n::text, 7, '0'), 'standard', 'msg_' || n, 'contact.updated', 'c_' || (n % 5000), ARRAY['omnichannel'],
       now() - interval '1 hour' + n * interval '1 millisecond',
       convert_to('{"type":"contact.updated","data":{"id":"c_' || (n % 5000) || '","first_name":"Priya","email":"priya+' || n || '@example.com","note":"' || repeat('x', 520) || '"}}', 'UTF8'),
       'bench'
FROM generate_series(1, $EVENTS) AS n;
INSERT INTO hookline_jobs (event_id, target, lane, opening, attempt, done, outcome, finished_at)
SELECT id, 'omnichannel', 'omnichannel/' || contact, 'received', 0, true, 'applied', received_at + interval '10 milliseconds' FROM hookline_events;
UPDATE hookline_jobs SET route = 'standard' || chr(31) || 'omnichannel';
VACUUM ANALYZE;
SQL
echo "bench: loaded $EVENTS events and their jobs in $(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s" >&2
"$BIN/hookline-bench" console --postgres "$URL" "$WORK/bench.jsonl"
