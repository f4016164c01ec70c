#!/bin/sh
# PID 1 of the guest-boot tier's initramfs (busybox sh, arm64 guest).
#
# Binds every PCI endpoint to pci-stub — Linux 6.12 puts a device behind an
# SMMU into an IOMMU group only once a driver binds it — then copies what
# `smmuctl verify --root` reads (PCI devices and the links between them,
# SMMUs, IOMMU groups, NUMA nodes, the ACPI IORT) into a tree, and prints it
# on the console as a base64 tar between two marker lines, with its SHA-256.
# The host side (qemu-standin.py) unpacks it and stops the VM.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# No kernel messages on the console from here on: they would land between
# the markers.
dmesg -n 1

say() { echo "smmuctl-guest: $*"; }

# busybox insmod reads .ko.xz itself (and the kernel decompresses too).
insmod /lib/modules/pci-stub.ko* || say "error: insmod pci-stub failed"
for dev in /sys/bus/pci/devices/*; do
  case $(cat "$dev/class") in 0x0600* | 0x0604*) continue ;; esac  # host bridges, PCI bridges
  bdf=${dev##*/}
  echo pci-stub >"$dev/driver_override"
  [ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
  echo "$bdf" >/sys/bus/pci/drivers_probe
done

T=/tmp/tree
# copy PATH…: symlinks as symlinks (same text), files by content (sysfs
# reports 4096 bytes for every attribute: sizes cannot be trusted).
copy() {
  for f; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    mkdir -p "$T${f%/*}"
    if [ -L "$f" ]; then
      ln -s "$(readlink "$f")" "$T$f"
    else
      cat "$f" >"$T$f" 2>/dev/null || rm -f "$T$f"
    fi
  done
}
copy /proc/sys/kernel/osrelease /sys/firmware/acpi/tables/IORT \
  /sys/devices/system/node/has_cpu /sys/devices/system/node/has_memory
for node in /sys/devices/system/node/node[0-9]*; do mkdir -p "$T$node"; done
for smmu in /sys/class/iommu/*; do
  copy "$smmu"
  real=$(readlink -f "$smmu")
  mkdir -p "$T$real"
  copy "${real%/iommu/*}/numa_node"
done
for group in /sys/kernel/iommu_groups/*; do
  copy "$group/type" "$group/reserved_regions" "$group"/devices/*
done
for dev in /sys/bus/pci/devices/*; do
  copy "$dev"
  real=$(readlink -f "$dev")
  for attr in config vendor device class numa_node resource max_link_speed max_link_width driver iommu_group iommu; do
    copy "$real/$attr"
  done
done

tar -C "$T" -czf /tmp/tree.tgz .
sum=$(sha256sum /tmp/tree.tgz)
echo
echo "=== smmuctl-guest-tree begin ==="
base64 /tmp/tree.tgz
echo "=== smmuctl-guest-tree end ${sum%% *} ==="
sync
poweroff -f
