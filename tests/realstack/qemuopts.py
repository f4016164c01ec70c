"""QEMU command lines for the real-stack tier: read them (libvirt's JSON
-device form and QEMU's key=value form), rewrite what this machine cannot
run, start the real QEMU with -S and ask it over QMP what it built.

The rewriting is the same for libvirt's argv and smmuctl's launch script, so
the two are held to one standard:
  as-is     accel kept; KVM -> TCG, -cpu host -> max, gic-version=host
            dropped; vfio-pci (no host device here) -> a stand-in endpoint
            with its id, bus, addr and multifunction; no -object iommufd
            (no /dev/iommu here, and nothing uses it once vfio-pci is gone)
  stripped  as-is, and arm-smmuv3 without accel and accel-only properties
"""
import json
import os
import shlex
import socket
import subprocess
import tempfile
import time

ACCEL_ONLY = ("accel", "ats", "ril", "ssidsize", "oas", "cmdqv")
KVM_ONLY_MESSAGE = "SMMUv3 accel=on requires KVM with kernel-irqchip=on support"
STANDIN = "virtio-rng-pci"


def split_opts(value):
    """QEMU's option syntax: ',' separates, ',,' is a literal comma."""
    parts, cur, i = [], "", 0
    while i < len(value):
        if value[i] == "," and value[i + 1:i + 2] == ",":
            cur += ","
            i += 2
            continue
        if value[i] == ",":
            parts.append(cur)
            cur = ""
        else:
            cur += value[i]
        i += 1
    return parts + [cur]


def join_opts(parts):
    return ",".join(p.replace(",", ",,") for p in parts)


class Opt:
    """One -device/-object/-machine value as an ordered dict, remembering its form."""

    def __init__(self, text, implied_key):
        self.json = text.lstrip().startswith("{")
        if self.json:
            self.props = json.loads(text)
        else:
            self.props = {}
            for i, part in enumerate(split_opts(text)):
                if "=" in part:
                    k, v = part.split("=", 1)
                    self.props[k] = v
                elif i == 0 and implied_key:
                    self.props[implied_key] = part
                else:
                    self.props[part] = "on"
        self.implied_key = implied_key

    def text(self):
        if self.json:
            return json.dumps(self.props, separators=(",", ":"))
        parts = []
        for k, v in self.props.items():
            if k == self.implied_key and not parts:
                parts.append(str(v))
            else:
                parts.append("%s=%s" % (k, v))
        return join_opts(parts)


IMPLIED = {"-device": "driver", "-object": "qom-type", "-machine": "type", "-M": "type",
           "-numa": "type", "-accel": "accel"}


def strip_env(words):
    """libvirt's qemu-argv starts with VAR=value words, then the binary."""
    i = 0
    while i < len(words) and "=" in words[i] and not words[i].startswith("-") and "/" not in words[i].split("=")[0]:
        i += 1
    return words[i], words[i + 1:]


def parse_argv(text):
    """Shell words of a command line (backslash-newlines allowed) -> (binary, args)."""
    return strip_env(shlex.split(text.replace("\\\n", " ")))


def pairs(args):
    """[(option, value or None)] in order; options that take no value get None."""
    flags = {"-S", "-nodefaults", "-no-user-config", "-no-shutdown", "-enable-kvm", "-nographic"}
    out, i = [], 0
    while i < len(args):
        if args[i] in flags or i + 1 >= len(args):
            out.append((args[i], None))
            i += 1
        else:
            out.append((args[i], args[i + 1]))
            i += 2
    return out


def rewrite(args, mode):
    """Return (args, replaced): args this machine can run in MODE ('as-is' or 'stripped')."""
    out, replaced = [], []
    for opt, val in pairs(args):
        if val is None:
            out.append(opt)
            continue
        if opt == "-accel" and val.split(",")[0] == "kvm":
            replaced.append("-accel kvm -> tcg")
            out += [opt, "tcg"]
            continue
        if opt == "-cpu" and val.split(",")[0] == "host":
            replaced.append("-cpu host -> max")
            out += [opt, "max"]
            continue
        if opt == "-serial":
            out += [opt, "none"]
            continue
        if opt in ("-machine", "-M"):
            m = Opt(val, "type")
            if m.props.get("gic-version") == "host":
                del m.props["gic-version"]
                replaced.append("gic-version=host dropped")
            if m.props.get("accel") == "kvm":
                m.props["accel"] = "tcg"
                replaced.append("-machine accel=kvm -> tcg")
            out += [opt, m.text()]
            continue
        if opt == "-netdev" and val.startswith("{") and json.loads(val).get("type") == "tap":
            # libvirt hands QEMU an open tap by fd; user networking stands in
            replaced.append("tap netdev -> user")
            out += [opt, json.dumps({"type": "user", "id": json.loads(val)["id"]}, separators=(",", ":"))]
            continue
        if opt == "-blockdev" and val.startswith("{"):
            b = json.loads(val)
            if b.get("driver") == "file" and "locking" not in b:
                b["locking"] = "off"  # cases share image names; runs are in parallel
                out += [opt, json.dumps(b, separators=(",", ":"))]
                continue
            if b.get("driver") == "qcow2":  # disk images are not ours: an empty raw file stands in
                b["driver"] = "raw"
                b.pop("backing", None)
                replaced.append("qcow2 disk -> empty raw file")
                out += [opt, json.dumps(b, separators=(",", ":"))]
                continue
        if opt == "-object":
            o = Opt(val, "qom-type")
            if o.props.get("qom-type") == "iommufd":
                replaced.append("-object iommufd dropped")
                continue
            out += [opt, val]
            continue
        if opt == "-device":
            d = Opt(val, "driver")
            drv = d.props.get("driver")
            if drv == "arm-smmuv3" and mode == "stripped":
                for k in ACCEL_ONLY:
                    d.props.pop(k, None)
                replaced.append("arm-smmuv3 without accel properties")
                out += [opt, d.text()]
                continue
            if drv == "vfio-pci":
                keep = {k: v for k, v in d.props.items() if k in ("id", "bus", "addr", "multifunction")}
                d.props = dict([("driver", STANDIN)] + list(keep.items()))
                replaced.append("vfio-pci -> " + STANDIN)
                out += [opt, d.text()]
                continue
        out += [opt, val]
    return out, replaced


def size_bytes(text):
    """QEMU's size syntax ('4T', '4294967296K', '512G', bytes) -> bytes."""
    text = str(text)
    units = "BKMGTPE"
    if text and text[-1].upper() in units:
        return int(text[:-1]) << (10 * units.index(text[-1].upper()))
    return int(text)


def addr_tuple(addr):
    """'0x1', '0x01.0x2', 1 -> (slot, function)."""
    if addr is None:
        return None
    if isinstance(addr, int):
        return (addr, 0)
    s, _, f = str(addr).partition(".")
    return (int(s, 0), int(f, 0) if f else 0)


def onoff(v):
    if v is True or v in ("on", "true", "yes"):
        return "on"
    if v is False or v in ("off", "false", "no"):
        return "off"
    return None if v is None else str(v)


def topology(args):
    """The parts of a command line that describe the planned guest, normalized
    so that libvirt's JSON form and smmuctl's key=value form compare equal."""
    t = {"pxb": {}, "root_port": {}, "smmu": {}, "iommufd": [], "vfio": {}, "numa": {}, "machine": {}}
    for opt, val in pairs(args):
        if val is None:
            continue
        if opt in ("-machine", "-M"):
            m = Opt(val, "type").props
            if "highmem-mmio-size" in m:  # libvirt writes KiB, smmuctl a unit: compare bytes
                t["machine"]["highmem-mmio-size"] = size_bytes(m["highmem-mmio-size"])
        elif opt == "-numa":
            n = Opt(val, "type").props
            if n.get("type") == "node":
                t["numa"][str(n.get("nodeid"))] = str(n.get("cpus", ""))
        elif opt == "-object":
            o = Opt(val, "qom-type").props
            if o.get("qom-type") == "iommufd":
                t["iommufd"].append(o.get("id"))
        elif opt == "-device":
            d = Opt(val, "driver").props
            drv, did = d.get("driver"), d.get("id")
            where = (d.get("bus"), addr_tuple(d.get("addr")))
            if drv == "pxb-pcie":
                t["pxb"][did] = (int(d.get("bus_nr")), None if d.get("numa_node") is None else int(d["numa_node"]), where)
            elif drv == "pcie-root-port":
                t["root_port"][did] = (int(d.get("chassis")), int(d.get("port", 0)), onoff(d.get("hotplug", "on")), where)
            elif drv == "arm-smmuv3":
                t["smmu"][did] = {"primary-bus": d.get("primary-bus"),
                                  **{k: onoff(d[k]) for k in ACCEL_ONLY if k in d}}
            elif drv == "vfio-pci":
                t["vfio"][did] = (d.get("iommufd"), where, onoff(d.get("multifunction", "off")))
    t["iommufd"].sort()
    return t


def compare_topologies(a, b, name_a, name_b):
    """Human-readable differences between two topology() results."""
    diffs = []
    for part in a:
        if a[part] != b[part]:
            keys = sorted(set(a[part]) | set(b[part]), key=str) if isinstance(a[part], dict) else [None]
            for k in keys:
                va = a[part].get(k) if k is not None else a[part]
                vb = b[part].get(k) if k is not None else b[part]
                if va != vb:
                    diffs.append("%s %s: %s has %r, %s has %r" % (part, k if k is not None else "", name_a, va, name_b, vb))
    return diffs


class Qemu:
    """Start the chroot's QEMU on ARGS with -S and a QMP socket in WORKDIR."""

    def __init__(self, root, workdir):
        self.root, self.workdir = root, workdir

    def run(self, args, query=True, timeout=60, cwd=None):
        qmp_dir = tempfile.mkdtemp(dir=self.workdir, prefix="qmp")
        sock = os.path.join(qmp_dir, "s")
        cmd = ["chroot", self.root, "/usr/bin/env", "--chdir=" + (cwd or self.workdir), "/usr/bin/qemu-system-aarch64"]
        cmd += [a for a in args if a != "-S"] + ["-S", "-qmp", "unix:%s,server=on,wait=off" % sock]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + timeout
        conn = None
        while time.time() < deadline:
            if proc.poll() is not None:
                break
            if os.path.exists(sock):
                c = socket.socket(socket.AF_UNIX)
                try:
                    c.connect(sock)
                    conn = c
                    break
                except (ConnectionRefusedError, FileNotFoundError):
                    c.close()
            time.sleep(0.05)
        if conn is None:
            if proc.poll() is None:
                proc.kill()
            _, err = proc.communicate()
            return {"started": False, "stderr": err.strip(), "status": proc.returncode}
        f = conn.makefile("rw")
        try:
            greeting = f.readline()
        except ConnectionResetError:
            greeting = ""
        if not greeting:  # QEMU bound the socket, then refused a device and exited
            conn.close()
            _, err = proc.communicate(timeout=30)
            return {"started": False, "stderr": err.strip(), "status": proc.returncode}

        def qmp(command, **arguments):
            f.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
            f.flush()
            while True:
                r = json.loads(f.readline())
                if "return" in r:
                    return r["return"]
                if "error" in r:
                    return {"error": r["error"]["desc"]}

        try:
            qmp("qmp_capabilities")
        except (ConnectionResetError, BrokenPipeError, ValueError):
            conn.close()
            _, err = proc.communicate(timeout=30)
            return {"started": False, "stderr": err.strip(), "status": proc.returncode}
        result = {"started": True, "pci": [], "peripheral": {}}
        if query:
            result["pci"] = qmp("query-pci")
            for entry in qmp("qom-list", path="/machine/peripheral"):
                if not entry["type"].startswith("child<"):
                    continue
                path, props = "/machine/peripheral/" + entry["name"], {"type": entry["type"][6:-1]}
                for p in ("parent_bus", "addr", "numa_node", "bus_nr", "chassis", "port", "hotplug",
                          "multifunction", "primary-bus"):
                    v = qmp("qom-get", path=path, property=p)
                    if not (isinstance(v, dict) and "error" in v):
                        props[p] = v
                result["peripheral"][entry["name"]] = props
        qmp("quit")
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        result["stderr"] = err.strip()
        return result


def first_error(stderr):
    """QEMU's first error line (warnings skipped), without the program name."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "qemu-system-aarch64:" in line and "warning:" not in line:
            return line.split("qemu-system-aarch64:", 1)[1].strip()
    for line in lines:
        if "qemu-system-aarch64:" in line:
            return line.split("qemu-system-aarch64:", 1)[1].strip()
    return lines[0] if lines else ""


def plan_tree_differences(plan, got, smmu_pluggable=True):
    """What QEMU built (query-pci, qom) against the planned tree (plan JSON).
    SMMU_PLUGGABLE: the QEMU has -device arm-smmuv3 (10.2+), so the vSMMUs
    are there too."""
    errors = []

    def expect(what, want, have):
        if want != have:
            errors.append("%s: planned %r, QEMU has %r" % (what, want, have))

    buses = [b for b in plan["buses"] if b["model"] != "pcie-root"]
    pxbs = [b for b in buses if b["model"] == "pcie-expander-bus"]
    by_bus = {entry["bus"]: entry["devices"] for entry in got["pci"]}
    periph = got["peripheral"]
    expect("root buses", sorted([0] + [b["bus_nr"] for b in pxbs]), sorted(by_bus))

    def on(parent):
        return sorted((b["slot"], b["function"], b["id"]) for b in buses if b["parent"] == parent)

    expect("devices on pcie.0", [(0, 0, "")] + on("pcie.0"),
           sorted((d["slot"], d["function"], d["qdev_id"]) for d in by_bus.get(0, [])))
    for pxb in pxbs:
        expect("root ports on %s (bus %d)" % (pxb["id"], pxb["bus_nr"]), on(pxb["id"]),
               sorted((d["slot"], d["function"], d["qdev_id"]) for d in by_bus.get(pxb["bus_nr"], [])))
        p = periph.get(pxb["id"], {})
        expect(pxb["id"] + " bus_nr", pxb["bus_nr"], p.get("bus_nr"))
        if pxb["numa_node"] is not None:
            expect(pxb["id"] + " numa_node", pxb["numa_node"], p.get("numa_node"))
    for b in buses:
        p = periph.get(b["id"], {})
        expect(b["id"] + " parent", b["parent"], p.get("parent_bus", "").rsplit("/", 1)[-1])
        if b["model"] == "pcie-root-port":
            expect(b["id"] + " chassis/port/hotplug", (b["chassis"], b["port"], False),
                   (p.get("chassis"), p.get("port"), p.get("hotplug")))
    for e in plan["endpoints"]:
        p = periph.get(e["id"], {})
        expect(e["id"] + " bus", e["bus"], p.get("parent_bus", "").rsplit("/", 1)[-1])
        expect(e["id"] + " addr", e["slot"] * 8 + e["function"], p.get("addr"))
        siblings = [o for o in plan["endpoints"] if o["bus"] == e["bus"] and o["slot"] == e["slot"] and o["function"] > 0]
        expect(e["id"] + " multifunction", e["function"] == 0 and bool(siblings), p.get("multifunction"))
    want_ids = {b["id"] for b in buses} | {e["id"] for e in plan["endpoints"]}
    if smmu_pluggable:
        want_ids |= {v["id"] for v in plan["vsmmus"]}
        for v in plan["vsmmus"]:
            # a link property reads back as a QOM path ending in the bus id
            expect(v["id"] + " primary-bus", v["root_complex"],
                   (periph.get(v["id"], {}).get("primary-bus") or "").rsplit("/", 1)[-1])
    expect("QEMU device ids", sorted(want_ids), sorted(periph))
    return errors


def script_argv(script, workdir, env=None):
    """The argv a launch script hands to $QEMU, through the shell's own quoting."""
    rec = os.path.join(workdir, "record-argv")
    with open(rec, "w") as f:
        f.write("#!/usr/bin/python3\nimport json, sys\njson.dump(sys.argv[1:], open(%r, 'w'))\n"
                % (rec + ".json"))
    os.chmod(rec, 0o755)
    e = dict(os.environ, QEMU=rec, **(env or {}))
    r = subprocess.run(["sh", script], cwd=workdir, env=e, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (script, r.returncode, r.stderr.strip()))
    return json.load(open(rec + ".json"))


def quote(args):
    return " ".join(shlex.quote(a) for a in args)
