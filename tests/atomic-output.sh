#!/usr/bin/env bash
# Output files are never seen half-written (issue 8, SPEC §1): `plan -o FILE`
# writes a temporary file in FILE's directory and renames it; on any error
# the previous FILE is untouched and no temporary file is left.  Proven with
# a read-only directory, a write that fails midway (RLIMIT_FSIZE), a full
# file system, and a target that is a directory.  Standard output that
# cannot be written is an error too, never a silent exit 0.
. "$SRCDIR/tests/lib.sh"

HOST=tests/data/hosts/gb200
PLAN=(plan --root "$HOST" --all-vfio -q)
PREVIOUS=$'<previous plan, must survive/>\n'

# A directory holding only FILE with the previous contents; echoes its path.
output_dir() {
  local dir="$WORK/$1"
  mkdir -p "$dir" && printf %s "$PREVIOUS" >"$dir/plan.xml" && echo "$dir"
}
# The previous file is byte-for-byte there, and nothing else is.
expect_untouched() {
  local dir=$1 what=$2
  if [ "$(cat "$dir/plan.xml")"$'\n' = "$PREVIOUS" ]; then ok; else fail "$what: the previous file changed"; fi
  local left=() f
  for f in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$f" ] && [ "$f" != "$dir/plan.xml" ] && left+=("${f##*/}")
  done
  if [ ${#left[@]} -eq 0 ]; then ok; else fail "$what: left behind in $dir: ${left[*]}"; fi
}

# ---- the good path: -o gives what stdout gives, with the document's mode ---
dir=$(output_dir good)
expect_status 0 "plan -o over a previous file" -- "$SMMUCTL" "${PLAN[@]}" -o "$dir/plan.xml"
"$SMMUCTL" "${PLAN[@]}" >"$WORK/stdout.xml" 2>/dev/null
if cmp -s "$dir/plan.xml" "$WORK/stdout.xml"; then ok; else fail "-o and stdout differ"; fi
if [ "$(ls -A "$dir")" = plan.xml ]; then ok; else fail "plan -o left files: $(ls -A "$dir")"; fi
expect_status 0 "plan --format qemu -o" -- "$SMMUCTL" "${PLAN[@]}" --format qemu -o "$dir/launch.sh" --nvram "$WORK/v.fd"
if [ -x "$dir/launch.sh" ]; then ok; else fail "the QEMU script is not executable"; fi

# ---- a read-only directory: clear error, previous file untouched -----------
# root ignores directory permissions, so as root the command runs as nobody;
# where nobody cannot reach the build tree, a read-only bind mount does.
dir=$(output_dir read-only)
as=() unmount=
if [ "$(id -u)" -ne 0 ]; then
  chmod 555 "$dir"
elif chmod 755 "$WORK" && setpriv --reuid=65534 --regid=65534 --clear-groups "$SMMUCTL" --version >/dev/null 2>&1 \
     && setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$HOST/sys/firmware/acpi/tables/IORT"; then
  chmod 555 "$dir"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
elif mount --bind "$dir" "$dir" 2>/dev/null && mount -o remount,bind,ro "$dir" 2>/dev/null; then
  unmount=$dir
else
  dir=
  echo "SKIP: read-only directory: cannot drop root (setpriv) nor bind-mount read-only here" >&2
fi
if [ -n "$dir" ]; then
  expect_status 2 "plan -o into a read-only directory" -- "${as[@]}" "$SMMUCTL" "${PLAN[@]}" -o "$dir/plan.xml"
  expect_grep "^smmuctl: $dir/plan.xml: cannot create a temporary file in $dir: (Permission denied|Read-only file system); nothing was written" \
    "$WORK/err" "read-only directory: what, where, and that nothing was written"
  expect_untouched "$dir" "read-only directory"
  [ -n "$unmount" ] && umount "$unmount"
  chmod 755 "$dir"
fi

# ---- a write that fails midway -------------------------------------------
# RLIMIT_FSIZE of 1000 bytes: the document is ~10 kB, so write() fails after
# the first kilobyte.  The kernel also sends SIGXFSZ, whose default action
# kills the process: smmuctl must survive it to clean up its temporary file.
dir=$(output_dir fsize)
expect_status 2 "plan -o with the file size limited (SIGXFSZ default)" -- \
  prlimit --fsize=1000 "$SMMUCTL" "${PLAN[@]}" -o "$dir/plan.xml"
expect_grep "^smmuctl: $dir/plan.xml: cannot write: File too large; nothing was written" "$WORK/err" \
  "mid-write failure: what and where"
expect_untouched "$dir" "mid-write failure (SIGXFSZ default)"
rm -f "$dir"/.plan.xml.*
# With SIGXFSZ ignored (as under some init systems) write() returns EFBIG.
dir=$(output_dir fsize-ignored)
expect_status 2 "plan -o with the file size limited (SIGXFSZ ignored)" -- \
  bash -c 'trap "" XFSZ; exec prlimit --fsize=1000 "$@"' _ "$SMMUCTL" "${PLAN[@]}" -o "$dir/plan.xml"
expect_grep "^smmuctl: $dir/plan.xml: cannot write: File too large; nothing was written" "$WORK/err" \
  "mid-write failure (EFBIG): what and where"
expect_untouched "$dir" "mid-write failure (SIGXFSZ ignored)"

# ---- a full file system (ENOSPC), where a small tmpfs can be mounted --------
full="$WORK/full"
mkdir -p "$full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=12k tmpfs "$full" 2>/dev/null; then
  printf %s "$PREVIOUS" >"$full/plan.xml"
  head -c 8192 /dev/zero >"$full/filler" 2>/dev/null || true   # leave less than the document needs
  expect_status 2 "plan -o on a full file system" -- "$SMMUCTL" "${PLAN[@]}" -o "$full/plan.xml"
  expect_grep "^smmuctl: $full/plan.xml: cannot (write|flush|close): No space left on device; nothing was written" \
    "$WORK/err" "full file system: what and where"
  rm -f "$full/filler"
  expect_untouched "$full" "full file system"
  umount "$full"
else
  echo "SKIP: full file system: cannot mount a tmpfs here" >&2
fi

# ---- the target is a directory; the directory does not exist ---------------
dir=$(output_dir target-is-dir)
mkdir "$dir/plan.xml.d"
expect_status 2 "plan -o DIRECTORY" -- "$SMMUCTL" "${PLAN[@]}" -o "$dir/plan.xml.d"
expect_grep "^smmuctl: $dir/plan.xml.d: cannot replace: Is a directory; nothing was written" "$WORK/err" "-o DIRECTORY"
rmdir "$dir/plan.xml.d"
expect_untouched "$dir" "-o DIRECTORY"
expect_status 2 "plan -o into a missing directory" -- "$SMMUCTL" "${PLAN[@]}" -o "$WORK/no-such-dir/plan.xml"
expect_grep "^smmuctl: $WORK/no-such-dir/plan.xml: cannot create a temporary file in $WORK/no-such-dir: No such file" \
  "$WORK/err" "-o into a missing directory"

# ---- standard output that cannot be written (a full disk behind `>`) -------
for cmd in "plan --root $HOST --all-vfio -q" "plan --root $HOST --all-vfio -q --format json" \
           "probe --root $HOST --no-tools" "probe --root $HOST --no-tools --json" \
           "validate tests/data/domains/cases/valid-accel.xml" "validate --json tests/data/domains/cases/valid-accel.xml" \
           "explain SMU201"; do
  # shellcheck disable=SC2086 # the words of cmd are the arguments
  "$SMMUCTL" $cmd >/dev/full 2>"$WORK/err"
  status=$?
  if [ "$status" -eq 2 ]; then ok; else fail "smmuctl $cmd >/dev/full: exit $status, wanted 2"; fi
  expect_grep '^smmuctl: cannot write to standard output' "$WORK/err" "smmuctl $cmd >/dev/full: says so"
done

finish
