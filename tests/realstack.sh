# The real-stack tier: smmuctl's plans and every domain case under tests/
# against real QEMU 11.1 / libvirt 12.9 (Debian 13 trixie-backports), and the
# version gates against QEMU 10.0 / libvirt 11.3 (trixie main), each in a
# cached Debian 13 chroot run in private namespaces (tests/realstack/stack.sh).
# The verdict tables are printed and kept as meson-logs/realstack-*.md.
# Without root or a mirror the tier is skipped with the reason; with CI=true
# it must run.
. "$SRCDIR/tests/lib.sh"

STACK=tests/realstack/stack.sh
cannot() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: the real-stack tier must run in CI, but: $1"
    exit 1
  fi
  echo "SKIP: $1"
  exit 77
}

if ! reason=$("$STACK" why-not); then
  cannot "$reason"
fi
start=$(date +%s)
for profile in current trixie; do
  "$STACK" ensure "$profile" >/dev/null || cannot "the '$profile' chroot could not be built (reason above)"
done
ready=$(date +%s)

status=0
for profile in current trixie; do
  mkdir -p "$WORK/$profile"
  "$STACK" run "$profile" --share "$WORK/$profile" -- \
    /usr/bin/python3 tests/realstack/oracle.py "$profile" "$WORK/$profile" "$SMMUCTL" >"$WORK/$profile.md" 2>&1 || status=1
  cat "$WORK/$profile.md"
  mkdir -p "$BUILDDIR/meson-logs" && cp "$WORK/$profile.md" "$BUILDDIR/meson-logs/realstack-$profile.md"
  echo
done
echo "real-stack tier: chroots ready in $((ready - start)) s, checks took $(($(date +%s) - ready)) s"
exit $status
