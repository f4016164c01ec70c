#!/usr/bin/python3
"""QEMU for a planned launch script (`smmuctl plan --format qemu`, run with
QEMU=this): boots the planned topology under TCG with a real arm64 kernel
and captures what the guest sees.

Only what a VM without KVM and host devices cannot have is replaced:
  -accel kvm, -cpu host      -> tcg, max; gic-version=host -> max
  -object iommufd            dropped (no /dev/iommu in the chroot)
  arm-smmuv3                 accel-only properties dropped (accel needs KVM)
  vfio-pci                   pci-testdev (1b36:0005, no guest driver) with the
                             same id, bus, addr and multifunction
  -smp N, -numa cpus=        one vCPU (on the first node): the CPUs are not
                             what is checked, and TCG boots one much faster;
                             every -numa node and its memory stay
  -serial mon:stdio          the console, read here
plus -kernel/-initrd/-append (UEFI still boots it: the guest gets ACPI and
an IORT) and -no-reboot.  pxb numa_node and the -numa nodes stay.

Environment:
  GUESTBOOT_KERNEL, GUESTBOOT_INITRD   the guest (paths QEMU can open)
  GUESTBOOT_OUT       directory for argv.json, serial.log, tree/ (the guest's
                      /sys and IORT as `smmuctl verify --root` reads them)
  GUESTBOOT_MUTATE    a deliberately wrong boot: shared-smmu (one machine-wide
                      SMMU instead of one per root complex), device-on-pcie0
                      (the first passthrough device on pcie.0), split-functions
                      (function 1 of the first multi-function device on a root
                      port of its own)
  GUESTBOOT_DRYRUN    when set: write argv.json only, do not boot
  GUESTBOOT_TIMEOUT   seconds before the boot counts as hung (default 180)
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import time

STANDIN = "pci-testdev"
STANDIN_IDS = ("1b36", "0005")
ACCEL_ONLY = ("accel", "ats", "ril", "ssidsize", "oas", "cmdqv")
BEGIN = "=== smmuctl-guest-tree begin ==="
END = "=== smmuctl-guest-tree end "


def split_opts(value):  # QEMU: ',' separates, ',,' is a literal comma
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


def key(part):
    return part.split("=", 1)[0]


def opt(parts, name):
    for p in parts[1:]:
        if key(p) == name:
            return p.split("=", 1)[1] if "=" in p else ""
    return None


def set_opt(parts, name, value):
    """parts with name=value (replaced, or appended); value None drops it."""
    out = [p for p in parts if key(p) != name or p is parts[0]]
    return out + ([name + "=" + value] if value is not None else [])


def standin_argv(args):
    """The planned argv → the argv to boot, and what was replaced."""
    out, replaced, devices = [], [], []
    i = 0
    while i < len(args):
        o = args[i]
        if o == "-nodefaults":
            out.append(o)
            i += 1
            continue
        v = args[i + 1]
        i += 2
        if o == "-accel" and v == "kvm":
            out += [o, "tcg"]
            replaced.append("-accel kvm -> tcg")
        elif o == "-cpu" and v == "host":
            out += [o, "max"]
            replaced.append("-cpu host -> max")
        elif o == "-serial":
            out += [o, "stdio"]
        elif o == "-smp":
            out += [o, "1"]
            if v != "1":
                replaced.append("-smp %s -> 1" % v)
        elif o == "-numa":
            parts = split_opts(v)
            if parts[0] == "node":
                first = not any(a.startswith("node,") and "cpus=0" in split_opts(a) for a in out)
                parts = [p for p in parts if key(p) != "cpus"] + (["cpus=0"] if first else [])
            out += [o, join_opts(parts)]
        elif o == "-machine":
            parts = split_opts(v)
            if opt(parts, "gic-version") == "host":
                parts = set_opt(parts, "gic-version", "max")
                replaced.append("-machine gic-version=host -> max")
            out += [o, join_opts(parts)]
        elif o == "-object" and split_opts(v)[0] == "iommufd":
            replaced.append("-object %s dropped" % v)
        elif o == "-device":
            devices.append(split_opts(v))
        else:
            out += [o, v]
    return out, devices, replaced


def replace_devices(devices, replaced):
    result = []
    for parts in devices:
        if parts[0] == "arm-smmuv3":
            kept = [parts[0]] + [p for p in parts[1:] if key(p) not in ACCEL_ONLY]
            if kept != parts:
                replaced.append("arm-smmuv3 %s: accel properties dropped" % opt(parts, "id"))
            parts = kept
        elif parts[0] == "vfio-pci":
            kept = [p for p in parts[1:] if key(p) in ("id", "bus", "addr", "multifunction")]
            replaced.append("vfio-pci %s -> %s" % (opt(parts, "host"), STANDIN))
            parts = [STANDIN] + kept
        result.append(parts)
    return result


def addr_function(parts):
    addr = opt(parts, "addr") or "0x0"
    return int(addr.split(".")[1], 0) if "." in addr else 0


def mutate(machine_args, devices, how):
    """A deliberately wrong VM; returns (machine_args, devices, what was done)."""
    standins = [d for d in devices if d[0] == STANDIN]
    if how == "shared-smmu":
        devices = [d for d in devices if d[0] != "arm-smmuv3"]
        at = machine_args.index("-machine") + 1
        machine_args[at] = join_opts(split_opts(machine_args[at]) + ["iommu=smmuv3"])
        return machine_args, devices, "every arm-smmuv3 replaced by one machine-wide iommu=smmuv3"
    if how == "device-on-pcie0":
        moved = standins[0]
        i = devices.index(moved)
        devices[i] = set_opt(set_opt(set_opt(moved, "bus", "pcie.0"), "addr", "0x1f"), "multifunction", None)
        return machine_args, devices, "%s moved to pcie.0 slot 0x1f" % opt(moved, "id")
    if how == "split-functions":
        first = next(d for d in standins if opt(d, "multifunction") == "on")
        sibling = next(d for d in standins if d is not first and opt(d, "bus") == opt(first, "bus")
                       and addr_function(d) == 1)
        port = next(d for d in devices if opt(d, "id") == opt(first, "bus"))
        new_port = ["pcie-root-port", "port=31", "chassis=250", "id=split0", "bus=" + opt(port, "bus"),
                    "addr=0x1f", "hotplug=off"]
        i = devices.index(sibling)
        devices[i] = set_opt(set_opt(sibling, "bus", "split0"), "addr", "0x0")
        devices.insert(devices.index(port) + 1, new_port)
        return machine_args, devices, "%s moved to a root port of its own on %s" % (opt(sibling, "id"),
                                                                                 opt(port, "bus"))
    sys.exit("qemu-standin: unknown GUESTBOOT_MUTATE '%s'" % how)


def boot(cmd, out_dir, timeout):
    """Run QEMU, read the console until the tree's end marker; the tree's
    base64 lines and its SHA-256."""
    log = open(os.path.join(out_dir, "serial.log"), "w", errors="replace")
    err = open(os.path.join(out_dir, "qemu.stderr"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
    started, lines, inside, digest = time.time(), [], False, None
    try:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        pending = b""
        while digest is None:
            left = started + timeout - time.time()
            if left <= 0:
                sys.exit("qemu-standin: the guest did not finish within %d s (console in %s)" % (
                    timeout, log.name))
            if not sel.select(min(left, 1.0)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                proc.wait()
                sys.exit("qemu-standin: QEMU exited (%s) before the guest printed its tree; see %s and %s" % (
                    proc.returncode, log.name, err.name))
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                line = raw.decode("utf-8", "replace").strip("\r")
                log.write(line + "\n")
                if line.startswith("smmuctl-guest: error"):
                    sys.exit("qemu-standin: %s" % line)
                if line.endswith(BEGIN):  # the firmware leaves escape codes on its last line
                    inside = True
                elif line.startswith(END):
                    digest = line[len(END):].split()[0]
                    break
                elif inside:
                    lines.append(line)
    finally:
        # The guest powers itself off; nothing is lost by not waiting for it.
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()
        err.close()
    return lines, digest


def main():
    out_dir = os.environ["GUESTBOOT_OUT"]
    os.makedirs(out_dir, exist_ok=True)
    argv, devices, replaced = standin_argv(sys.argv[1:])
    devices = replace_devices(devices, replaced)
    how = os.environ.get("GUESTBOOT_MUTATE")
    mutation = None
    if how:
        argv, devices, mutation = mutate(argv, devices, how)
    for d in devices:
        argv += ["-device", join_opts(d)]
    argv += ["-no-reboot", "-kernel", os.environ["GUESTBOOT_KERNEL"], "-initrd", os.environ["GUESTBOOT_INITRD"],
             "-append", "console=ttyAMA0 acpi=force panic=-1 quiet"]
    # The topology a boot shows: the argv without the VM's name and variable store.
    topology, skip = [], False
    for a in argv:
        if not skip and a != "-name" and not a.startswith("if=pflash,format=raw,unit=1,"):
            topology.append(a)
        skip = a == "-name"
    record = {"argv": argv, "replaced": replaced, "mutation": mutation, "standin_ids": STANDIN_IDS,
              "topology": hashlib.sha256(json.dumps(topology).encode()).hexdigest()}
    with open(os.path.join(out_dir, "argv.json"), "w") as f:
        json.dump(record, f, indent=1)
    if os.environ.get("GUESTBOOT_DRYRUN"):
        return 0
    started = time.time()
    lines, digest = boot([os.environ.get("GUESTBOOT_QEMU", "qemu-system-aarch64")] + argv, out_dir,
                         int(os.environ.get("GUESTBOOT_TIMEOUT", "180")))
    data = base64.b64decode("".join(lines), validate=True)
    if hashlib.sha256(data).hexdigest() != digest:
        sys.exit("qemu-standin: the tree from the console does not match its SHA-256 (a garbled console?)")
    tgz = os.path.join(out_dir, "tree.tgz")
    with open(tgz, "wb") as f:
        f.write(data)
    tree = os.path.join(out_dir, "tree")
    os.makedirs(tree, exist_ok=True)
    subprocess.run(["tar", "-xzf", tgz, "-C", tree], check=True)
    record["seconds"] = round(time.time() - started, 1)
    with open(os.path.join(out_dir, "argv.json"), "w") as f:
        json.dump(record, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
