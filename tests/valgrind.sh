#!/usr/bin/env bash
# Representative CLI runs under valgrind (issue 8): no invalid access, no
# uninitialised read, no definite or indirect leak, on the good paths and on
# the error paths (where leaks hide).  The ASan build cannot run under
# valgrind; there ASan and LeakSanitizer check the same runs.
. "$SRCDIR/tests/lib.sh"

if ! command -v valgrind >/dev/null; then
  echo "SKIP: valgrind is not installed (./bootstrap test installs it)"
  exit 77
fi
case "$(nm -u "$SMMUCTL" 2>/dev/null)" in
  *__asan_init* | *__tsan_init*)
    echo "SKIP: $SMMUCTL is built with a sanitizer, which valgrind cannot run; the plain build runs this test"
    exit 77 ;;
esac

# GLib's slice allocator and lazily freed caches hide leaks from valgrind.
export G_SLICE=always-malloc G_DEBUG=gc-friendly,fatal-criticals
VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
          --show-leak-kinds=definite,indirect --num-callers=30)
# (add --track-origins=yes by hand to see where an uninitialised value comes from)

# One run per line: the arguments of smmuctl (words; no spaces inside one).
RUNS=()
for host in tests/data/hosts/*/; do
  host=${host%/}
  RUNS+=("probe --root $host --no-tools" "probe --root $host --no-tools --json")
done
out="$WORK/plan.xml"
RUNS+=(
  "probe --root tests/data/hosts/gb200 --hwinfo-json tests/data/hosts/gb200/hwinfo.json --json --no-tools"
  "probe --root tests/data/hosts/kunpeng --tools"
  "probe --root tests/data/hosts/split-group --no-tools --iort tests/data/bad/iort/node-count-huge.bin"
  "probe --root tests/data/hosts/gb200 --no-tools --hwinfo-json tests/data/bad/hwinfo/hwinfo-idr-short.json"
  "probe --root $WORK/no-such-root"
  "validate $(echo tests/data/domains/cases/*.xml)"
  "validate --json $(echo tests/data/domains/cases/*.xml)"
  "validate $(echo tests/data/bad/xml/*.xml)"
  "validate --connect test:///default test"
  "validate --qemu $(echo tests/data/qemu/cases/*.argv tests/data/fuzz-regressions/qemuargv/*)"
  "validate --json --qemu --root tests/data/hosts/gb200 $(echo tests/data/qemu/libvirt/*.argv)"
  "plan --root tests/data/hosts/gb200 --all-vfio"
  "plan --root tests/data/hosts/gb200 --all-vfio --hwinfo-json tests/data/hosts/gb200/hwinfo.json -o $out"
  "plan --root tests/data/hosts/kunpeng --all-vfio --format qemu --explain"
  "plan --root tests/data/hosts/altra --all-vfio --format json --layout per-device"
  "plan --root tests/data/hosts/split-group --all-vfio"
  "plan --host tests/data/probe/gb200.json --vendor 10de --base tests/data/domains/cases/valid-accel.xml"
  "plan --host tests/data/bad/json/host-group-string.json --all-vfio"
  "verify --plan tests/data/guests/big-2-16/plan.json --root tests/data/guests/big-2-16"
  "verify --plan tests/data/guests/device-on-pcie0/plan.json --root tests/data/guests/device-on-pcie0 --json"
  "verify --plan tests/data/guests/split-functions/plan.json --root tests/data/guests/kunpeng"
  "verify --plan tests/data/plan/gb200/per-device.json --root tests/data/hosts/gb200"
  "verify --plan tests/data/hosts/gb200/hwinfo.json --root tests/data/guests/kunpeng"
  "explain SMU301 accel-emulated-endpoint"
  "explain --list"
  "explain SMU999"
  "valdate x.xml"
)

# Two at a time: valgrind makes each run take seconds.
run_one() { # index
  local log="$WORK/vg.$1.log"
  # shellcheck disable=SC2086 # one run is a list of words
  "${VALGRIND[@]}" --log-file="$log" "$SMMUCTL" ${RUNS[$1]} >/dev/null 2>"$WORK/vg.$1.err"
  echo $? >"$WORK/vg.$1.status"
}
jobs_max=$(nproc 2>/dev/null || echo 2)
for i in "${!RUNS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run_one "$i" &
done
wait

for i in "${!RUNS[@]}"; do
  status=$(cat "$WORK/vg.$i.status")
  # valgrind's own notes about syscalls it does not model (pidfd_open) are not findings.
  grep -v -e 'WARNING: unhandled .* syscall' -e 'You may be able to write' -e 'README_MISSING_SYSCALL' \
    -e 'Nevertheless we consider' -e 'bug_reports.html' "$WORK/vg.$i.log" >"$WORK/vg.$i.findings"
  if [ "$status" -eq 99 ] || [ "$status" -ge 128 ] || [ -s "$WORK/vg.$i.findings" ]; then
    fail "valgrind: smmuctl ${RUNS[$i]}: exit $status"
    head -60 "$WORK/vg.$i.findings" | sed 's/^/  | /' >&2
  else
    ok
  fi
done
echo "valgrind: ${#RUNS[@]} runs"
finish
