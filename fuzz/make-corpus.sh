#!/usr/bin/env bash
# Refresh the seed corpora fuzz/corpus/<harness>/ from the test data:
#   iort       the fixture hosts' and guests' IORT tables and tests/data/bad/iort/
#   hostjson   tests/data/probe/*.json, tests/data/bad/json/, and (with a
#              built smmuctl) `probe --json` of every fixture host, broken ones too
#   hwinfo     the fixture hosts' hwinfo.json and tests/data/bad/hwinfo/
#   domainxml  tests/data/domains/cases/, the plan golden and base XML,
#              tests/data/bad/xml/
#   planjson   the plan golden JSON and the captured guests' plans
#   qemuargv   tests/data/qemu/cases/, libvirt's command lines in
#              tests/data/qemu/libvirt/, the planned launch scripts
# Run it after the test data changes, from anywhere:
#   fuzz/make-corpus.sh [SMMUCTL]      (default: build/smmuctl when built)
# Files are named after their source so that a corpus diff reads well; the
# whole corpus stays small (about 200 files, well under 2 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
SMMUCTL=${1:-build/smmuctl}
OUT=fuzz/corpus
MAX_SEED=$((256 * 1024)) # bigger inputs only slow libFuzzer down

# seed HARNESS NAME FILE: copy FILE as OUT/HARNESS/NAME when small enough.
seed() {
  local size
  size=$(stat -c %s "$3")
  if [ "$size" -gt "$MAX_SEED" ]; then
    echo "make-corpus: skipping $3 ($size bytes)" >&2
    return
  fi
  cp "$3" "$OUT/$1/$2"
}

rm -rf "$OUT"
mkdir -p "$OUT/iort" "$OUT/hostjson" "$OUT/hwinfo" "$OUT/domainxml" "$OUT/planjson" "$OUT/qemuargv"

for host in tests/data/hosts/*/; do
  name=$(basename "$host")
  [ -f "$host/sys/firmware/acpi/tables/IORT" ] && seed iort "host-$name.bin" "$host/sys/firmware/acpi/tables/IORT"
  [ -f "$host/hwinfo.json" ] && seed hwinfo "host-$name.json" "$host/hwinfo.json"
done
for guest in tests/data/guests/*/; do
  seed iort "guest-$(basename "$guest").bin" "$guest/sys/firmware/acpi/tables/IORT"
done
for f in tests/data/bad/iort/*.bin; do seed iort "bad-$(basename "$f")" "$f"; done
for f in tests/data/bad/hwinfo/*.json; do seed hwinfo "bad-$(basename "$f")" "$f"; done

for f in tests/data/probe/*.json; do seed hostjson "probe-$(basename "$f")" "$f"; done
for f in tests/data/bad/json/*.json; do seed hostjson "bad-$(basename "$f")" "$f"; done
if [ -x "$SMMUCTL" ]; then
  for host in tests/data/hosts/*/; do
    name=$(basename "$host")
    args=(probe --root "$host" --no-tools --json)
    [ -f "$host/hwinfo.json" ] && args+=(--hwinfo-json "$host/hwinfo.json")
    "$SMMUCTL" "${args[@]}" >"$OUT/hostjson/live-$name.json" 2>/dev/null || rm -f "$OUT/hostjson/live-$name.json"
  done
else
  echo "make-corpus: $SMMUCTL not built; hostjson seeds from tests/data only" >&2
fi

for f in tests/data/domains/cases/*.xml; do seed domainxml "case-$(basename "$f")" "$f"; done
for f in tests/data/plan/*/*.xml; do
  seed domainxml "plan-$(basename "$(dirname "$f")")-$(basename "$f")" "$f"
done
for f in tests/data/bad/xml/*.xml; do seed domainxml "bad-$(basename "$f")" "$f"; done

for f in tests/data/plan/*/*.json; do
  seed planjson "plan-$(basename "$(dirname "$f")")-$(basename "$f")" "$f"
done
for f in tests/data/guests/*/plan.json; do seed planjson "guest-$(basename "$(dirname "$f")").json" "$f"; done
for f in tests/data/qemu/cases/*.argv; do seed qemuargv "case-$(basename "$f")" "$f"; done
for f in tests/data/qemu/libvirt/*.argv; do seed qemuargv "libvirt-$(basename "$f")" "$f"; done
for f in tests/data/plan/*/*.sh; do
  seed qemuargv "plan-$(basename "$(dirname "$f")")-$(basename "$f")" "$f"
done

for d in "$OUT"/*/; do
  echo "make-corpus: $d $(find "$d" -type f | wc -l) files, $(du -sk "$d" | cut -f1) KiB"
done
