#!/usr/bin/env bash
# Fuzz Hookline's input readers with libFuzzer and AddressSanitizer, each for a fixed time.
#
#   Fuzz/run.sh [SECONDS] [TARGET...]     default: 60 s each, every target
#   Fuzz/run.sh 0                         replay the seeds once, no fuzzing (CI: deterministic)
#
# Targets: json, standard, buildr, plannr (message decoders), signature-headers, encodings,
# audit-line, config, path-id. Each starts from the committed seeds in Fuzz/corpus/<target> (and
# Fixtures/ where they fit) and keeps what it finds in .build-fuzz/corpus/<target>, so a second
# run goes on from there. A crash, a hang, a leak or a failed property stops the target and leaves
# its input in .build-fuzz/crashes/<target>/; reproduce it with
#   HOOKLINE_FUZZ_TARGET=<target> .build-fuzz/debug/hookline-fuzz <file>
# Exit status: 0 when every target ran clean, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json standard buildr plannr signature-headers encodings audit-line config path-id)

echo "fuzz: building hookline-fuzz with -sanitize=fuzzer,address (.build-fuzz)"
build_log=$(mktemp)
HOOKLINE_FUZZ=1 swift build --scratch-path .build-fuzz --product hookline-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >"$build_log" 2>&1
build_status=$?
grep -v "Cannot export local symbol" "$build_log" | grep -E "error|warning: .*\.swift|Build of product" || true
rm -f "$build_log"
binary=.build-fuzz/debug/hookline-fuzz
# A failed build must not fall back on a binary an earlier build left.
[ $build_status -eq 0 ] && [ -x "$binary" ] || { echo "fuzz: the build failed"; exit 1; }

# Seeds beyond Fuzz/corpus: the fixtures are real message bodies.
seeds() {
  case "$1" in
    json) echo Fixtures/standard Fixtures/buildr Fixtures/plannr Fixtures/invalid ;;
    standard) echo Fixtures/standard Fixtures/invalid ;;
    buildr) echo Fixtures/buildr ;;
    plannr) echo Fixtures/plannr ;;
  esac
}

failed=0
printf '%-18s %12s %10s %8s  %s\n' TARGET EXECUTIONS EXEC/S CORPUS RESULT
for target in "${targets[@]}"; do
  corpus=.build-fuzz/corpus/$target
  crashes=.build-fuzz/crashes/$target
  mkdir -p "$corpus" "$crashes"
  for dir in Fuzz/corpus/$target $(seeds "$target"); do
    [ -d "$dir" ] && find "$dir" -maxdepth 1 -type f -size -1100k -exec cp -n {} "$corpus/" \;
  done
  log=.build-fuzz/$target.log
  if [ "$seconds" = 0 ]; then budget=(-runs=0); else budget=(-max_total_time="$seconds"); fi
  HOOKLINE_FUZZ_TARGET=$target "$binary" "$corpus" \
    "${budget[@]}" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$log" 2>&1
  status=$?
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
  [ -n "$runs" ] || runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo -)
  size=$(find "$corpus" -type f | wc -l)
  if [ $status -eq 0 ]; then
    result=clean
  else
    failed=1
    result="FOUND SOMETHING (exit $status): $(ls -t "$crashes" | head -1) — see $log"
  fi
  printf '%-18s %12s %10s %8s  %s\n' "$target" "$runs" "$rate" "$size" "$result"
done
exit $failed
