# Sourced by validate-qemu.sh (libvirt's command lines recorded in
# tests/data/qemu/libvirt/) and validate-qemu-libvirt.sh (recorded afresh in
# the real-stack tier): for every domain case libvirt 12.9 converts,
# validate --qemu of its `virsh domxml-to-native qemu-argv` output gives the
# same exit status and codes as validate of the XML it converted (the TCG
# copy of tcg-copy.py), except where libvirt changes the domain on the way,
# listed here with the reason (and checked to still differ).

# exit status and sorted codes of one --json run: "STATUS CODE CODE…"
status_and_codes () {
  "$SMMUCTL" validate --json "$@" >"$WORK/sc.json" 2>/dev/null
  local status=$?
  echo "$status" $(grep -oE '"code": "SMU[0-9]{3}"' "$WORK/sc.json" | cut -d'"' -f4 | sort -u)
}

declare -A libvirt_changes=(
  [smu003-pasid]="libvirt drops the fork's pasid attribute at define time: nothing is left to warn about"
  [smu003-ssidSize]="libvirt drops the fork's ssidSize attribute at define time: nothing is left to warn about"
  [smu105-per-bus-then-machine-wide]="libvirt drops a machine-wide smmuv3 that follows a per-bus one: no -machine iommu=smmuv3 is left to mix"
  [smu501-pcihole64-old-libvirt]="the libvirt target (11.3 lacks <pcihole64> on virt) does not apply to a command line, which is past libvirt"
  [smu104-two-machine-wide]="libvirt keeps one machine-wide IOMMU: -machine iommu=smmuv3 appears once"
  [smu107-missing-bus]="libvirt adds the missing pcie-root-port on pcie.0, so the GPU lands outside the vSMMU (SMU106)"
  [smu201-virtio-below-accel]="domxml-to-native rebuilds every <interface> and addresses it anew, on a root port of pcie.0"
)

# compare_with_libvirt DIR — DIR holds NAME.argv (or NAME.refused) per case and VERSION.
compare_with_libvirt () {
  local dir=$1 xml name converted=0 from_xml from_argv reason
  local domains=$SRCDIR/tests/data/domains/cases pairs=() args
  for xml in "$domains"/*.xml; do pairs+=("$xml" "$WORK/$(basename "$xml" .xml).tcg.xml"); done
  /usr/bin/python3 "$SRCDIR/tests/data/qemu/libvirt/tcg-copy.py" "${pairs[@]}"
  for xml in "$domains"/*.xml; do
    name=$(basename "$xml" .xml)
    if [ ! -f "$dir/$name.argv" ]; then
      if [ -f "$dir/$name.refused" ]; then ok; else fail "$name: not recorded (run tests/data/qemu/libvirt/record.sh)"; fi
      continue
    fi
    converted=$((converted + 1))
    args=()
    [ -f "$domains/$name.args" ] && read -ra args <"$domains/$name.args"
    from_xml=$(status_and_codes "${args[@]}" "$WORK/$name.tcg.xml")
    from_argv=$(status_and_codes "${args[@]}" --qemu "$dir/$name.argv")
    reason=${libvirt_changes[$name]:-}
    if [ -z "$reason" ] && [ "$from_xml" = "$from_argv" ]; then ok
    elif [ -z "$reason" ]; then fail "$name: XML gives '$from_xml', libvirt's argv '$from_argv'"
    elif [ "$from_xml" != "$from_argv" ]; then ok
    else fail "$name: listed as changed by libvirt ($reason), yet both give '$from_xml'"
    fi
  done
  if [ "$converted" -ge 50 ]; then ok; else fail "only $converted domain cases have libvirt's command line in $dir"; fi
  expect_grep '^libvirt 12\.9\.' "$dir/VERSION" "converted by libvirt 12.9"
}
