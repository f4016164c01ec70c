#!/usr/bin/env bash
# The guest of the guest-boot tier, from Debian 13 (trixie): the arm64 kernel
# (linux-image-*-arm64: CONFIG_ARM_SMMU_V3=y, CONFIG_ACPI_IORT=y, pci-stub as
# a module), busybox-static for arm64, and ACPICA's iasl for this machine's
# architecture (a second opinion on the guest's IORT).
#
#   fetch.sh DIR      fetch once into DIR (cached: later runs use no network),
#                     then print shell assignments of the files' paths
#
# apt runs with a configuration of its own under DIR/apt (architectures,
# sources list, state and cache): the machine's apt state is never read or
# written.  The mirror is the one this machine's apt uses.  `apt-get
# download` and `dpkg-deb -x` are all it takes: nothing is installed.
# Exit status: 0 fetched, 1 the packages are unfit, 3 no mirror or network.
set -euo pipefail

DIR=${1:?usage: fetch.sh DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=trixie
# Bump when what is fetched or how it is unpacked changes: the cache is rebuilt.
FORMAT=1
STAMP="format=$FORMAT suite=$SUITE"

print_paths() {
  cat "$DIR/fetched.env"
}

if [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$STAMP" ] && [ -f "$DIR/fetched.env" ]; then
  print_paths
  exit 0
fi

mirror=$("$HERE/../realstack/stack.sh" mirror) || { echo "fetch.sh: no Debian mirror in this machine's apt sources" >&2; exit 3; }
host_arch=$(dpkg --print-architecture)
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
# Another run may have fetched it while this one waited.
if [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$STAMP" ] && [ -f "$DIR/fetched.env" ]; then
  print_paths
  exit 0
fi
tmp=$DIR/.fetch.$$
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
apt=$tmp/apt
mkdir -p "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" "$apt/etc/sources.list.d" "$apt/etc/trusted.gpg.d" \
  "$apt/state/lists/partial" "$apt/cache/archives/partial" "$tmp/debs" "$tmp/x"
: >"$apt/state/status"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror $SUITE main" >"$apt/etc/sources.list"
cat >"$apt/apt.conf" <<EOF
APT::Architecture "arm64";
APT::Architectures { "arm64"; "$host_arch"; };
Dir::Etc "$apt/etc";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Parts "$apt/etc/apt.conf.d";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::Etc::TrustedParts "$apt/etc/trusted.gpg.d";
Dir::State "$apt/state";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
Acquire::Languages "none";
APT::Sandbox::User "root";
EOF
export APT_CONFIG=$apt/apt.conf
echo "fetch.sh: fetching the $SUITE arm64 guest kernel and busybox from $mirror into $DIR" >&2
apt-get -qq update >"$tmp/update.log" 2>&1 || { tail -3 "$tmp/update.log" >&2; exit 3; }
# linux-image-arm64 is a metapackage: its one dependency is the kernel.
kernel_pkg=$(apt-cache depends linux-image-arm64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$kernel_pkg" ] || { echo "fetch.sh: linux-image-arm64 in $SUITE names no kernel package" >&2; exit 1; }
(cd "$tmp/debs" && apt-get -qq download "$kernel_pkg" busybox-static "acpica-tools:$host_arch") \
  >"$tmp/download.log" 2>&1 || { tail -3 "$tmp/download.log" >&2; exit 3; }

# Only the files the tier uses: the kernel image, its config, pci-stub.
dpkg-deb --fsys-tarfile "$tmp"/debs/linux-image-*.deb | tar -x -C "$tmp/x" --wildcards \
  './boot/vmlinuz-*' './boot/config-*' './usr/lib/modules/*/kernel/drivers/pci/pci-stub.ko*'
dpkg-deb -x "$tmp"/debs/busybox-static_*.deb "$tmp/x"
dpkg-deb -x "$tmp"/debs/acpica-tools_*.deb "$tmp/x"
config=$(echo "$tmp"/x/boot/config-*)
for option in CONFIG_ARM_SMMU_V3=y CONFIG_ACPI_IORT=y CONFIG_ACPI_NUMA=y CONFIG_PCI_STUB=m; do
  grep -qx "$option" "$config" || { echo "fetch.sh: $kernel_pkg lacks $option" >&2; exit 1; }
done
rm -rf "$DIR/guest"
mv "$tmp/x" "$DIR/guest"
{
  printf 'GUEST_KERNEL_PACKAGE=%q\n' "$kernel_pkg"
  printf 'GUEST_KERNEL=%q\n' "$DIR"/guest/boot/vmlinuz-*
  printf 'GUEST_PCI_STUB=%q\n' "$DIR"/guest/usr/lib/modules/*/kernel/drivers/pci/pci-stub.ko*
  printf 'GUEST_BUSYBOX=%q\n' "$DIR/guest/usr/bin/busybox"
  printf 'IASL=%q\n' "$DIR/guest/usr/bin/iasl"
} >"$DIR/fetched.env"
echo "$STAMP" >"$DIR/stamp"
print_paths
