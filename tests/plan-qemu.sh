# The QEMU proof: the planned launch script is run for real — through the
# shell, with its own quoting — against Debian's qemu-system-aarch64 (TCG,
# -S), and QMP query-pci plus qom-get must show exactly the planned PCI tree:
# pxb bus numbers and NUMA nodes, root ports (chassis, port, hotplug off) and
# the ids libvirt would use.  Only what this QEMU or this machine cannot create
# is replaced, each replacement printed:
#   arm-smmuv3   not user-creatable before QEMU 10.2 (sysbus, no PCI address):
#                dropped; kept without accel properties where pluggable (accel needs KVM)
#   iommufd      -object iommufd does not exist in this QEMU: dropped
#   vfio-pci     no host device here: virtio-rng-pci with the same id, bus, addr, multifunction
#   KVM          -accel tcg, -cpu max, no gic-version=host
#   highmem-mmio-size   dropped where QEMU < 10.0 lacks it
. "$SRCDIR/tests/lib.sh"

QEMU_BIN=$(command -v qemu-system-aarch64)
if [ -z "$QEMU_BIN" ]; then
  echo "SKIP: qemu-system-aarch64 is not installed (CI installs qemu-system-arm)"
  exit 77
fi
"$QEMU_BIN" --version | head -1

HOSTS=tests/data/hosts
/usr/bin/python3 tests/gen-hosts.py "$WORK/hosts" --big 2 32 >/dev/null || fail "gen-hosts --big"

cat >"$WORK/standin" <<'PY'
#!/usr/bin/python3
"""Run the planned QEMU argv on the real QEMU with -S, replacing only what it
cannot create, then record query-pci and each peripheral's placement."""
import json, os, shutil, socket, subprocess, sys, tempfile, time

REAL, OUT = os.environ["REAL_QEMU"], os.environ["STANDIN_OUT"]

def ask(*args):
    return subprocess.run([REAL, "-machine", "none", "-nodefaults", "-display", "none"] + list(args),
                          capture_output=True, text=True, timeout=60).stdout

smmu_pluggable = '"arm-smmuv3"' in ask("-device", "help")
has_iommufd = "iommufd" in ask("-object", "help").split()
has_highmem_size = "highmem-mmio-size" in ask("-machine", "virt,help")

def split_opts(value):  # QEMU: ',' separates, ',,' is a comma
    parts, cur, i = [], "", 0
    while i < len(value):
        if value[i] == "," and value[i + 1:i + 2] == ",":
            cur += ","; i += 2; continue
        if value[i] == ",":
            parts.append(cur); cur = ""
        else:
            cur += value[i]
        i += 1
    return parts + [cur]

def join_opts(parts):
    return ",".join(p.replace(",", ",,") for p in parts)

def key(p):
    return p.split("=", 1)[0]

args, out, replaced = sys.argv[1:], [], []
i = 0
while i < len(args):
    opt = args[i]
    if opt == "-nodefaults":
        out.append(opt); i += 1; continue
    val = args[i + 1]; i += 2
    if opt == "-accel" and val == "kvm":
        replaced.append("-accel kvm -> tcg"); out += [opt, "tcg"]; continue
    if opt == "-cpu" and val == "host":
        replaced.append("-cpu host -> max"); out += [opt, "max"]; continue
    if opt == "-serial":
        out += [opt, "none"]; continue
    if opt == "-machine":
        parts = []
        for p in split_opts(val):
            if p == "gic-version=host" or (key(p) == "highmem-mmio-size" and not has_highmem_size):
                replaced.append("-machine %s dropped" % p); continue
            parts.append(p)
        out += [opt, join_opts(parts)]; continue
    if opt == "-object" and key(split_opts(val)[0]) == "iommufd" and not has_iommufd:
        replaced.append("-object %s dropped" % val); continue
    if opt == "-device":
        parts = split_opts(val)
        if parts[0] == "arm-smmuv3":
            if not smmu_pluggable:
                replaced.append("-device %s dropped" % val); continue
            replaced.append("-device %s without accel properties" % val)
            out += [opt, join_opts([p for p in parts if key(p) in ("arm-smmuv3", "primary-bus", "id")])]; continue
        if parts[0] == "vfio-pci":
            kept = [p for p in parts[1:] if key(p) in ("id", "bus", "addr", "multifunction")]
            replaced.append("-device %s -> virtio-rng-pci" % val)
            out += [opt, join_opts(["virtio-rng-pci"] + kept)]; continue
    out += [opt, val]

qmp_dir = tempfile.mkdtemp()  # a short plain path: unix sockets and QEMU's option syntax
sock = os.path.join(qmp_dir, "qmp")
cmd = [REAL] + out + ["-S", "-qmp", "unix:%s,server=on,wait=off" % sock]
json.dump({"argv": cmd, "replaced": replaced, "smmu_pluggable": smmu_pluggable}, open(OUT + ".argv", "w"), indent=1)
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
for _ in range(600):
    if os.path.exists(sock) or proc.poll() is not None:
        break
    time.sleep(0.05)
if not os.path.exists(sock):
    proc.kill()
    shutil.rmtree(qmp_dir)
    sys.exit("qemu did not start (exit %s): %s" % (proc.poll(), proc.stderr.read()))
# The socket file appears when QEMU binds it, a moment before it listens:
# retry a refused connection instead of failing on that race.
for _ in range(200):
    conn = socket.socket(socket.AF_UNIX)
    try:
        conn.connect(sock)
        break
    except ConnectionRefusedError:
        conn.close()
        if proc.poll() is not None:
            sys.exit("qemu exited (%s): %s" % (proc.poll(), proc.stderr.read()))
        time.sleep(0.05)
else:
    proc.kill()
    sys.exit("qemu never accepted a QMP connection on %s" % sock)
f = conn.makefile("rw")
def qmp(command, **arguments):
    f.write(json.dumps({"execute": command, "arguments": arguments}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r: return r["return"]
        if "error" in r: return {"error": r["error"]["desc"]}
f.readline(); qmp("qmp_capabilities")
result = {"pci": qmp("query-pci"), "peripheral": {}}
for entry in qmp("qom-list", path="/machine/peripheral"):
    if not entry["type"].startswith("child<"):
        continue
    path, props = "/machine/peripheral/" + entry["name"], {"type": entry["type"][6:-1]}
    for p in ("parent_bus", "addr", "numa_node", "bus_nr", "chassis", "port", "hotplug", "multifunction", "primary-bus"):
        v = qmp("qom-get", path=path, property=p)
        if not (isinstance(v, dict) and "error" in v):
            props[p] = v
    result["peripheral"][entry["name"]] = props
qmp("quit"); proc.wait(timeout=60)
shutil.rmtree(qmp_dir)
json.dump(result, open(OUT, "w"), indent=1, sort_keys=True)
PY
chmod +x "$WORK/standin"

cat >"$WORK/check.py" <<'PY'
"""Compare what QEMU built (query-pci, qom) with the planned tree (plan JSON),
with the real-stack tier's checker."""
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["SRCDIR"], "tests/realstack"))
import qemuopts
plan, got, argv = (json.load(open(p)) for p in sys.argv[1:4])
errors = qemuopts.plan_tree_differences(plan, got, argv["smmu_pluggable"])
for line in errors:
    print("  " + line)
sys.exit(1 if errors else 0)
PY

# prove HOST LAYOUT [plan args…]: plan the script and the JSON, run the script, compare
prove() {
  local host=$1 layout=$2; shift 2
  local dir="$WORK/run $host $layout, it's \$odd"   # the script must quote what a path holds
  mkdir -p "$dir"
  local root=$HOSTS/$host
  [ -d "$root" ] || root=$WORK/hosts/$host
  local hw=()
  [ -f "$root/hwinfo.json" ] && hw=(--hwinfo-json "$root/hwinfo.json")
  local select=(--all-vfio)
  [ "$host" = gb200 ] && select=(--vendor 10de)   # its NIC SMMUs cannot nest: plan refuses them
  local common=(plan --root "$root" "${hw[@]}" "${select[@]}" --layout "$layout" "$@")
  expect_status 0 "$host $layout: plan" -- "$SMMUCTL" "${common[@]}" --format json -o "$dir/plan.json"
  expect_status 0 "$host $layout: script" -- "$SMMUCTL" "${common[@]}" --format qemu --nvram "$dir/vars, copy.fd" -o "$dir/run.sh"
  (cd "$dir" && QEMU="$WORK/standin" REAL_QEMU="$QEMU_BIN" STANDIN_OUT="$dir/qemu.json" sh ./run.sh) >"$WORK/err" 2>&1
  if [ $? -ne 0 ]; then
    fail "$host $layout: the planned command line did not start QEMU"; sed 's/^/  | /' "$WORK/err" >&2; return
  fi
  ok
  [ -s "$dir/vars, copy.fd" ] && ok || fail "$host $layout: the script did not create its variable store"
  echo "$host $layout, stand-ins: $(/usr/bin/python3 -c '
import collections, json, re, sys
done = collections.Counter(re.sub(r"(,|=)[^ ]*", "", r) for r in json.load(open(sys.argv[1]))["replaced"])
print("; ".join("%s%s" % (what, " x%d" % n if n > 1 else "") for what, n in sorted(done.items())))' "$dir/qemu.json.argv")"
  if /usr/bin/python3 "$WORK/check.py" "$dir/plan.json" "$dir/qemu.json" "$dir/qemu.json.argv" >"$WORK/diff"; then
    ok
  else
    fail "$host $layout: QEMU's PCI tree is not the planned one"; cat "$WORK/diff" >&2
  fi
}

# (altra and no-iommufd: plan refuses their accelerated vSMMUs, see validate-host)
for host in gb200 kunpeng broken-iort big-2-32; do
  for layout in per-smmu per-device; do
    prove "$host" "$layout"
  done
done
# a name that needs QEMU's comma escaping and the shell's quoting
prove kunpeng per-smmu --name "vm, it's \"odd\" \$HOME"
# the checker is not blind: a tree that differs from the plan must fail it
dir="$WORK/run kunpeng per-smmu, it's \$odd"
sed 's/"bus_nr": 252/"bus_nr": 250/' "$dir/plan.json" >"$WORK/wrong.json"
if /usr/bin/python3 "$WORK/check.py" "$WORK/wrong.json" "$dir/qemu.json" "$dir/qemu.json.argv" >/dev/null; then
  fail "the checker accepted a tree with another bus number"
else
  ok
fi

finish
