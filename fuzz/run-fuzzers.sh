#!/usr/bin/env bash
# Fuzz every harness for a bounded time (issue 8):
#   fuzz/run-fuzzers.sh [HARNESS…]         (default: every fuzz/fuzz-*.c)
# Builds the libFuzzer binaries with clang (-Dfuzzing=true) into build-fuzz,
# then runs each harness for FUZZ_SECONDS (default 60), FUZZ_JOBS at a time
# (default: the number of CPUs), starting from its seed corpus
# fuzz/corpus/NAME/ and the saved crashes tests/data/fuzz-regressions/NAME/.
# Inputs found to be new are kept in build-fuzz/fuzz-corpus/NAME/ (not in the
# source tree; fuzz/make-corpus.sh refreshes the seeds).  A crash, leak,
# timeout or out-of-memory is copied to tests/data/fuzz-regressions/NAME/,
# where the meson test fuzz-replay-NAME replays it on every build, and the
# script fails.  Prints seconds and executions per harness.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
BUILD=${FUZZ_BUILDDIR:-build-fuzz}

# Longest input per harness: a few times the biggest real document, so that
# time goes to structure, not to bulk.
max_len() {
  case $1 in
    iort) echo 8192 ;;      # real tables: 1-4 KiB
    hwinfo) echo 4096 ;;    # one record per SMMU
    hostjson) echo 65536 ;; # gb200's document is ~40 KiB
    domainxml) echo 32768 ;;
    planjson) echo 65536 ;; # gb200's per-device plan is ~20 KiB
    qemuargv) echo 16384 ;; # libvirt's command lines: 3-8 KiB
    *) echo 16384 ;;
  esac
}

if ! command -v clang >/dev/null; then
  echo "run-fuzzers: clang is needed (apt-get install clang libclang-rt-14-dev; ./bootstrap test installs them)" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for src in fuzz/fuzz-*.c; do
    name=${src#fuzz/fuzz-}
    harnesses+=("${name%.c}")
  done
fi

# The clang build is a -Werror build too (clang warns where gcc does not).
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang meson setup "$BUILD" -Dfuzzing=true -Dbuildtype=debugoptimized -Dwerror=true >/dev/null
else
  meson configure "$BUILD" -Dfuzzing=true -Dwerror=true >/dev/null
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz/fuzz-$h"); done
ninja -C "$BUILD" "${targets[@]}"

LOGS="$BUILD/fuzz-logs"
mkdir -p "$LOGS"

fuzz_one() { # harness
  local h=$1 corpus="$BUILD/fuzz-corpus/$1" artifacts="$BUILD/fuzz-artifacts/$1/"
  local regressions="tests/data/fuzz-regressions/$1"
  mkdir -p "$corpus" "$artifacts"
  local seeds=("fuzz/corpus/$h")
  [ -d "$regressions" ] && seeds+=("$regressions")
  local dict=()
  [ -f "fuzz/dict/$h.dict" ] && dict=("-dict=fuzz/dict/$h.dict")
  # The first directory receives new inputs; the seeds are only read.
  local status=0
  G_DEBUG=fatal-criticals \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$BUILD/fuzz/fuzz-$h" -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$h")" -timeout=5 \
      -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" \
      "$corpus" "${seeds[@]}" >"$LOGS/$h.log" 2>&1 || status=$?
  echo "$status" >"$LOGS/$h.status"
}

echo "run-fuzzers: ${#harnesses[@]} harnesses, ${FUZZ_SECONDS} s each, $FUZZ_JOBS at a time (logs in $LOGS)"
for h in "${harnesses[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$FUZZ_JOBS" ]; do wait -n || true; done
  fuzz_one "$h" &
done
wait

failed=0
printf '%-10s %8s %12s %10s %8s  %s\n' HARNESS SECONDS EXECUTIONS EXEC/S CORPUS RESULT
for h in "${harnesses[@]}"; do
  status=$(cat "$LOGS/$h.status")
  stat() { sed -n "s/^stat::$1: *//p" "$LOGS/$h.log" | tail -1; }
  corpus=$(find "$BUILD/fuzz-corpus/$h" -type f | wc -l)
  result=ok
  if [ "$status" -ne 0 ]; then
    failed=1
    mkdir -p "tests/data/fuzz-regressions/$h"
    saved=()
    for a in "$BUILD/fuzz-artifacts/$h"/*; do
      [ -f "$a" ] || continue
      cp "$a" "tests/data/fuzz-regressions/$h/" && saved+=("tests/data/fuzz-regressions/$h/$(basename "$a")")
      rm -f "$a"
    done
    result="FAILED (exit $status; saved ${saved[*]:-nothing}; log $LOGS/$h.log)"
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|Assertion|GLib.*CRITICAL' \
      "$LOGS/$h.log" | sed "s/^/  $h: /" >&2 || true
  fi
  printf '%-10s %8s %12s %10s %8s  %s\n' "$h" "$FUZZ_SECONDS" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$corpus" "$result"
done
if [ "$failed" -ne 0 ]; then
  echo "run-fuzzers: a harness failed; the input is saved under tests/data/fuzz-regressions/ and" \
       "replayed by \`meson test --suite fuzz\` (fix it, then commit the input)" >&2
fi
exit "$failed"
