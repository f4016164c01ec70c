# The planned domain XML meets the real libvirt library: `virsh -c
# test:///default define` parses every plan, and this test shows exactly what
# an older libvirt than the plan's target does with it — which is why
# --target-libvirt (default: the installed version) matters: smmuctl refuses
# up front what that libvirt would silently drop or reject.
. "$SRCDIR/tests/lib.sh"

if ! command -v virsh >/dev/null; then
  echo "SKIP: virsh (libvirt-clients) is not installed"
  exit 77
fi
LIBVIRT=$(virsh --version)
echo "libvirt $LIBVIRT (test:///default driver)"
HOSTS=tests/data/hosts

plan_host() {
  local host=$1; shift
  local hw=()
  [ -f "$HOSTS/$host/hwinfo.json" ] && hw=(--hwinfo-json "$HOSTS/$host/hwinfo.json")
  "$SMMUCTL" plan --root "$HOSTS/$host" "${hw[@]}" -q "$@"
}

# count XPATH FILE
count() { xmllint --xpath "count($1)" "$2" 2>/dev/null; }

# Can the installed libvirt express a plan?  smmuctl knows from its one version table.
if plan_host gb200 --vendor 10de --target-libvirt installed >/dev/null 2>"$WORK/target-err"; then
  CURRENT=1
  echo "the installed libvirt can express accelerated vSMMUs: everything must survive define"
else
  CURRENT=0
  echo "the installed libvirt is older than the plan needs: $(sed 's/^smmuctl: //' "$WORK/target-err")"
  expect_grep "target libvirt $LIBVIRT \(installed\) cannot express this plan: it needs <iommu model='smmuv3'><driver pciBus=" \
    "$WORK/target-err" "plan --target-libvirt installed refuses up front"
fi

# define NAME FILE: define in a fresh test:/// connection and dump it back
define() {
  virsh -c test:///default "define '$2'; dumpxml '$1'" >"$WORK/virsh-out" 2>"$WORK/virsh-err" || return 1
  sed -n '/^<domain/,$p' "$WORK/virsh-out" >"$WORK/dumped.xml"
}

# (altra and no-iommufd: plan refuses their accelerated vSMMUs, see validate-host)
for host in gb200 kunpeng broken-iort; do
  select=--all-vfio
  [ $host = gb200 ] && select="--vendor 10de"   # its NIC SMMUs cannot nest
  for layout in per-smmu per-device; do
    name=$host-$layout
    plan_host "$host" $select --layout "$layout" --name "$name" -o "$WORK/$name.xml" || { fail "$name: plan"; continue; }
    planned_iommus=$(count "//iommu" "$WORK/$name.xml")
    if define "$name" "$WORK/$name.xml"; then
      ok
      # what libvirt kept: the topology, addresses and hotplug state
      for xpath in "//controller[@model='pcie-expander-bus']/target[@busNr]" \
                   "//controller[@model='pcie-root-port']/target[@hotplug='off']" \
                   "//hostdev/address[@type='pci']" "//hostdev/source/address" "//cpu/numa/cell"; do
        want=$(count "$xpath" "$WORK/$name.xml"); got=$(count "$xpath" "$WORK/dumped.xml")
        [ "$want" = "$got" ] && ok || fail "$name: libvirt kept $got of $want $xpath"
      done
      dropped=()
      for xpath in "//iommu/driver[@pciBus]" "//iommu/driver[@accel='on']" "//hostdev/driver[@iommufd='yes']"; do
        want=$(count "$xpath" "$WORK/$name.xml"); got=$(count "$xpath" "$WORK/dumped.xml")
        [ "$got" = "$want" ] || dropped+=("$xpath ($got of $want kept)")
        if [ "$CURRENT" = 1 ]; then
          [ "$want" = "$got" ] && ok || fail "$name: libvirt $LIBVIRT dropped $xpath"
        else
          [ "$got" = 0 ] && ok || fail "$name: libvirt $LIBVIRT was expected to drop $xpath"
        fi
      done
      wide=$(count "//iommu[not(driver)]" "$WORK/dumped.xml")
      [ "$wide" -gt 0 ] && dropped+=("so $wide vSMMU(s) became machine-wide <iommu model='smmuv3'/> on pcie.0")
      [ "$(count "//*[local-name()='commandline']" "$WORK/$name.xml")" != "$(count "//*[local-name()='commandline']" "$WORK/dumped.xml")" ] \
        && dropped+=("<qemu:commandline> (the test driver has no QEMU namespace)")
      echo "$name: defined; libvirt $LIBVIRT dropped: ${dropped[*]:-nothing}"
    else
      # older libvirt allows one <iommu> only: a multi-vSMMU plan is refused, not mangled
      if [ "$CURRENT" = 0 ] && [ "$planned_iommus" -gt 1 ] && grep -q "only a single IOMMU device is supported" "$WORK/virsh-err"; then
        ok
        echo "$name: refused by libvirt $LIBVIRT: $(grep -o 'only a single IOMMU device is supported' "$WORK/virsh-err") ($planned_iommus vSMMUs)"
      else
        fail "$name: virsh define failed"; sed 's/^/  | /' "$WORK/virsh-err" >&2
      fi
    fi
  done
done

# The merged plan keeps the base's devices through libvirt as well
plan_host gb200 --device 0008:01:00.0 --base tests/data/plan/bases/gpu-numa.xml -o "$WORK/merged.xml" || fail "merge plan"
if define gpu-numa "$WORK/merged.xml"; then
  ok
  echo "merged into gpu-numa.xml: defined; the base's disk, NIC and root ports kept"
  for xpath in "//disk/address[@bus='0x01']" "//interface/address[@bus='0x02']" "//controller[@index='1'][@model='pcie-root-port']"; do
    [ "$(count "$xpath" "$WORK/dumped.xml")" = 1 ] && ok || fail "merged: libvirt lost the base's $xpath"
  done
  [ "$(count "//controller[@model='pcie-expander-bus']/target/node" "$WORK/dumped.xml")" = 1 ] && ok \
    || fail "merged: the pxb's NUMA node did not survive"
else
  fail "merged: virsh define failed"; sed 's/^/  | /' "$WORK/virsh-err" >&2
fi

# A base with a controller at index 253: the planned controllers take 1 and
# 2, which libvirt accepts (it refuses indexes past 255: "Invalid PCI address
# bus='0x100', must be <= 0xFF"; one vSMMU, as libvirt before 11.10 takes one)
plan_host gb200 --device 0008:01:00.0 --bus-headroom 0 --base tests/data/plan/bases/index-253.xml \
  -o "$WORK/index-253.xml" || fail "index-253 plan"
if define index-253 "$WORK/index-253.xml"; then
  ok
  for index in 1 2 253; do
    [ "$(count "//controller[@type='pci'][@index='$index']" "$WORK/dumped.xml")" = 1 ] && ok \
      || fail "index-253: libvirt lost controller $index"
  done
else
  fail "index-253: virsh define failed"; sed 's/^/  | /' "$WORK/virsh-err" >&2
fi

finish
