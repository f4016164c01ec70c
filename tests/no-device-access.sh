#!/usr/bin/env bash
# smmuctl needs no privilege except for --hwinfo (issue 8): without it, it
# never opens a device node, never opens a file for writing (apart from the
# -o document), and never runs a program except the QEMU it asks for its
# version and devices when tools probing is on.  Never a shell.
# Proven by tracing every open and exec of each verb with strace.
. "$SRCDIR/tests/lib.sh"

if ! command -v strace >/dev/null; then
  echo "SKIP: strace is not installed (./bootstrap test installs it)"
  exit 77
fi
if ! strace -f -qq -o /dev/null true 2>/dev/null; then
  echo "SKIP: strace cannot trace here (ptrace not permitted)"
  exit 77
fi

SYSCALLS=open,openat,openat2,creat,execve,execveat
# LeakSanitizer cannot run under ptrace; the other tests check leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
# Device nodes a process may touch without privilege: the standard streams
# and GLib's /dev/null for a spawned child's stdin.
DEV_ALLOWED='^/dev/(null|tty|stdin|stdout|stderr|fd/[0-9]+)$'

# trace_problems LOG TOOLS(yes|no) OUTPUT(path or "") — prints one line per
# forbidden open or exec.  Only smmuctl's own processes count: once a child
# has exec'd QEMU, what QEMU opens is QEMU's business.
trace_problems() {
  /usr/bin/python3 - "$1" "$SMMUCTL" "$2" "$3" "$DEV_ALLOWED" <<'PY'
import os, re, sys
log, smmuctl, tools, output, dev_allowed = sys.argv[1:6]
smmuctl = os.path.realpath(smmuctl)
foreign = set()      # pids that exec'd something else
problems = []
call = re.compile(r'^(\d+) +(\w+)\((.*)\) += (-?\d+|\?)')
for line in open(log, errors="replace"):
    m = call.match(line)
    if not m:
        continue
    pid, name, args, result = m.groups()
    if pid in foreign:
        continue
    if name in ("execve", "execveat"):
        path = re.match(r'(?:AT_FDCWD, )?"([^"]*)"', args).group(1)
        if result != "0":
            if not (tools == "yes" and "qemu-system-" in path):   # the PATH search
                problems.append("tried to run " + path)
            continue
        if os.path.realpath(path) == smmuctl:
            continue
        if tools == "yes" and os.path.basename(path).startswith("qemu-system-"):
            foreign.add(pid)
            continue
        problems.append("ran " + path + (" (a shell!)" if re.search(r'/(ba|da|z|k|c|tc)?sh$', path) else ""))
        foreign.add(pid)
        continue
    pm = re.match(r'(?:AT_FDCWD|\d+), "([^"]*)"', args) or re.match(r'"([^"]*)"', args)
    if not pm or result.startswith("-"):
        continue
    path = pm.group(1)
    if path.startswith("/dev/") and not re.match(dev_allowed, path):
        problems.append("opened device node " + path)
    if re.search(r'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC', args) or name == "creat":
        if not (output and os.path.dirname(path) == os.path.dirname(output)
                and os.path.basename(path).startswith("." + os.path.basename(output) + ".")):
            problems.append("opened for writing " + path)
for p in problems:
    print(p)
PY
}

# trace WHAT TOOLS OUTPUT -- smmuctl arguments…
RUNS=0
trace() {
  local what=$1 tools=$2 output=$3; shift 4
  RUNS=$((RUNS + 1))
  strace -f -qq -e trace="$SYSCALLS" -o "$WORK/trace.log" "$SMMUCTL" "$@" >"$WORK/out" 2>"$WORK/err"
  local status=$?
  if [ "$status" -lt 3 ]; then ok; else fail "$what: exit $status"; sed 's/^/  | /' "$WORK/err" >&2; fi
  if grep -q 'execve("[^"]*smmuctl"' "$WORK/trace.log"; then ok; else fail "$what: strace saw no smmuctl"; fi
  trace_problems "$WORK/trace.log" "$tools" "$output" >"$WORK/verdict"
  if [ -s "$WORK/verdict" ]; then fail "$what: $(sort -u "$WORK/verdict" | head -5 | tr '\n' ';')"; else ok; fi
}

H=tests/data/hosts/gb200
trace "probe --root"           no  "" -- probe --root "$H" --no-tools
trace "probe --root --json"    no  "" -- probe --root "$H" --no-tools --json --hwinfo-json "$H/hwinfo.json"
trace "probe --root --tools"   yes "" -- probe --root "$H" --tools
trace "probe (this machine)"   no  "" -- probe --no-tools
trace "probe (this machine, tools)" yes "" -- probe
trace "validate"               no  "" -- validate tests/data/domains/cases/valid-accel.xml tests/data/bad/xml/xxe.xml
trace "validate --connect"     no  "" -- validate --connect test:///default test
trace "plan xml"               no  "" -- plan --root "$H" --all-vfio -q
trace "plan qemu"              no  "" -- plan --root "$H" --all-vfio -q --format qemu
trace "plan --host json -o"    no  "$WORK/plan.json" -- plan --host tests/data/probe/gb200.json --all-vfio -q --format json -o "$WORK/plan.json"
trace "explain"                no  "" -- explain SMU304
# The check itself must be able to fail: a run that does open a device node
# and run a shell is caught.
printf '%s\n' '1 execve("'"$SMMUCTL"'", ["smmuctl"], 0x0 /* 1 var */) = 0' \
  '1 openat(AT_FDCWD, "/dev/iommu", O_RDWR|O_CLOEXEC) = 3' '2 execve("/bin/sh", ["sh", "-c", "x"], 0x0) = 0' >"$WORK/bad.log"
trace_problems "$WORK/bad.log" no "" >"$WORK/verdict"
expect_grep '^opened device node /dev/iommu$' "$WORK/verdict" "self-check: a device open is caught"
expect_grep '^ran /bin/sh \(a shell!\)$' "$WORK/verdict" "self-check: a shell is caught"
echo "no-device-access: $RUNS traced runs"
finish
