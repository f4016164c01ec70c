# examples/ never goes stale: the walk-through runs start to end on the bundled
# example host, the provisioning script gives smmuctl's exit statuses for each
# kind of failure, and the Ansible playbook parses and uses only options the
# verbs have.
. "$SRCDIR/tests/lib.sh"
H=tests/data/hosts/gb200
export SMMUCTL

for f in examples/walkthrough.sh examples/provision.sh; do
  [ -x "$f" ] && ok || fail "$f is not executable"
  bash -n "$f" && ok || fail "$f does not parse"
  grep -qF "${f#examples/}" examples/README.md && ok || fail "examples/README.md does not mention $f"
done
grep -qF ansible/playbook.yml examples/README.md && ok || fail "examples/README.md does not mention the playbook"

# The walk-through, as a user runs it.
WORKDIR=$WORK/walk
mkdir -p "$WORKDIR"
if WORKDIR=$WORKDIR examples/walkthrough.sh >"$WORK/walk.out" 2>&1; then ok
else fail "examples/walkthrough.sh failed"; tail -30 "$WORK/walk.out" >&2; fi
for n in 1 2 3 4 5 6 7 8 9; do
  expect_grep "^=== $n\. " "$WORK/walk.out" "walk-through step $n"
done
expect_grep 'nesting yes \(S1\+S2, CANWBS\)' "$WORK/walk.out" "probe shows nesting"
expect_grep '2 pxb-pcie \+ 2 accelerated vSMMUs' "$WORK/walk.out" "plan: one vSMMU per host SMMU"
expect_grep 'broken-virtio\.xml:[0-9]+: error: SMU201 accel-emulated-endpoint' "$WORK/walk.out" "virtio NIC below the vSMMU is SMU201"
expect_grep 'broken-mixed\.xml:[0-9]+: error: SMU203 accel-no-coldplug-vfio' "$WORK/walk.out" "moved GPU leaves a vSMMU empty"
expect_grep 'broken-mixed\.xml:[0-9]+: error: SMU301 host-smmu-mixed: .*0008:01:00.0 → smmu3\.0x0000000016000000, 0009:01:00.0 → smmu3\.0x0000000016800000' "$WORK/walk.out" "--host names both host SMMUs"
expect_grep 'broken-virtio\.xml:[0-9]+: SMU201 accel-emulated-endpoint$' "$WORK/walk.out" "jq reads the findings"
expect_grep '^SMU201 accel-emulated-endpoint \(error\)$' "$WORK/walk.out" "explain SMU201"
expect_grep '^SMU203 accel-no-coldplug-vfio \(error\)$' "$WORK/walk.out" "explain by name"
json_schema "$WORKDIR/host.json" data/schemas/host.schema.json
json_schema "$WORKDIR/findings.json" data/schemas/validate.schema.json
# The plan it validates really is clean (not just "exit 0 expected").
expect_status 0 "walk-through plan validates" -- "$SMMUCTL" validate -q "$WORKDIR/gpu-vm.xml"
xmllint --noout "$WORKDIR/broken-virtio.xml" "$WORKDIR/broken-mixed.xml" && ok || fail "broken examples are not well-formed XML"

# The provisioning script: one exit status per kind of outcome.
prov() { # STATUS DESCRIPTION -- ARGS…
  local want=$1 what=$2; shift 3
  rm -rf "$WORK/prov"
  expect_status "$want" "provision: $what" -- examples/provision.sh --out "$WORK/prov" "$@"
}
prov 0 "two GPUs" -- --root $H --hwinfo-json $H/hwinfo.json gpu-vm 0008:01:00.0 0009:01:00.0
expect_grep '^provision: vSMMU iommu1 on pci.2 for smmu3.0x0000000016800000: accel=on ats=on' "$WORK/out" "provision reads the plan JSON"
expect_grep "^provision: planned $WORK/prov/gpu-vm.xml" "$WORK/out" "provision says what it wrote"
[ -s "$WORK/prov/gpu-vm.xml" ] && ok || fail "provision wrote no XML"
json_schema "$WORK/prov/plan.json" data/schemas/plan.schema.json
json_schema "$WORK/prov/findings.json" data/schemas/validate.schema.json
"$SMMUCTL" probe --json --root $H --hwinfo-json $H/hwinfo.json >"$WORK/host.json"
prov 0 "from a recorded host" -- --host "$WORK/host.json" vm 0018:01:00.0
prov 1 "SMMU that cannot nest" -- --root $H --hwinfo-json $H/hwinfo.json vm 0000:01:00.0
expect_grep 'cannot nest' "$WORK/err" "non-nesting SMMU named"
prov 1 "device not on the host" -- --root $H vm 0008:09:00.0
expect_grep '0008:09:00.0: no such PCI device' "$WORK/err" "missing device named"
prov 1 "target libvirt too old" -- --host "$WORK/host.json" --target-libvirt 9.0.0 vm 0008:01:00.0
expect_grep 'cannot express this plan' "$WORK/err" "smmuctl's reason passed on"
prov 1 "split IOMMU group" -- --root tests/data/hosts/split-group vm 0000:01:00.0
prov 1 "no iommufd" -- --root tests/data/hosts/no-iommufd vm "$(ls tests/data/hosts/no-iommufd/sys/bus/pci/devices | tail -1)"
expect_grep 'host not ready' "$WORK/err" "iommufd readiness from probe --json checks"
prov 3 "unreadable host" -- --root "$WORK/nowhere" vm 0008:01:00.0
prov 2 "usage" -- vm
prov 2 "not a host document" -- --host data/schemas/host.schema.json vm 0008:01:00.0

# The playbook: valid YAML with the two plays, and every smmuctl option it
# uses exists in that verb's --help.
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  if /usr/bin/python3 - examples/ansible/playbook.yml "$SMMUCTL" <<'PY' 2>"$WORK/yaml-err"; then ok; else fail "examples/ansible/playbook.yml"; cat "$WORK/yaml-err" >&2; fi
import re, subprocess, sys, yaml
plays = yaml.safe_load(open(sys.argv[1]))
assert isinstance(plays, list) and len(plays) == 2, "two plays"
assert plays[0]["hosts"] == "smmu_hosts", "first play runs on the host group"
assert any("ansible.builtin.fetch" in t for t in plays[0]["tasks"]), "first play fetches the documents"
commands = {}
for play in plays:
    for task in play["tasks"]:
        cmd = task.get("ansible.builtin.command")
        if not cmd:
            continue
        text = str(cmd["argv"])
        verb = re.search(r"smmuctl'?,\s*'?(probe|plan|validate|explain)", text)
        assert verb, f"task {task['name']!r}: no smmuctl verb in {text}"
        commands.setdefault(verb.group(1), set()).update(re.findall(r"--[a-z][a-z0-9-]*", text))
assert "--json" in commands.get("probe", ()), "probe --json on the hosts"
assert "--host" in commands.get("plan", ()), "plan --host centrally"
for verb, options in commands.items():
    help_text = subprocess.run([sys.argv[2], verb, "--help"], capture_output=True, text=True, check=True).stdout
    known = set(re.findall(r"--[a-z][a-z0-9-]*", help_text))
    missing = options - known
    assert not missing, f"smmuctl {verb} has no {sorted(missing)}"
PY
else
  echo "note: /usr/bin/python3 has no yaml module (python3-yaml): playbook not checked"
fi

finish
