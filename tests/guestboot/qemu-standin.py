#!/usr/bin/python3
"""QEMU for a planned launch script (`smmuctl plan --format qemu`, run with
QEMU=this): boots the planned topology under TCG with a real arm64 kernel
and captures what the guest sees.

What a VM without KVM and host devices cannot have is replaced as the
real-stack tier replaces it (tests/realstack/qemuopts.py, mode 'stripped':
KVM -> TCG, -cpu host -> max, gic-version=host dropped, no -object iommufd,
arm-smmuv3 without its accel-only properties, vfio-pci -> an emulated
stand-in endpoint with the same id, bus, addr and multifunction; here
pci-testdev, see STANDIN below).  Then, for a boot:
  -serial                    the console, read here
  -smp N, -numa cpus=        one vCPU (on the first node): the CPUs are not
                             what is checked, and TCG boots one much faster;
                             every -numa node, its memory and pxb numa_node stay
plus -kernel/-initrd/-append (UEFI still boots it: the guest gets ACPI and
an IORT) and -no-reboot.

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
import selectors
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "realstack"))
import qemuopts  # noqa: E402  (the real-stack tier's rewriting, shared)

# A boot stands in pci-testdev (1b36:0005) where the -S checks use a virtio
# device: neither the firmware nor Linux has a driver for it, so nothing
# probes 16 functions at boot (half the boot time of a big plan under TCG)
# and pci-stub binds it directly.  The rest of the rewriting is qemuopts'.
qemuopts.STANDIN = "pci-testdev"
STANDIN_IDS = {"pci-testdev": ("1b36", "0005")}
BEGIN = "=== smmuctl-guest-tree begin ==="
END = "=== smmuctl-guest-tree end "


def devices_of(args):
    """The -device values as qemuopts.Opt, and the other options as pairs."""
    devices, rest = [], []
    for opt, val in qemuopts.pairs(args):
        if opt == "-device":
            devices.append(qemuopts.Opt(val, "driver"))
        else:
            rest.append((opt, val))
    return rest, devices


def for_boot(rest, replaced):
    """Console on stdio; one vCPU on the first NUMA node, every node kept."""
    out, first_node = [], True
    for opt, val in rest:
        if val is None:
            out.append(opt)
        elif opt == "-serial":
            out += [opt, "stdio"]
        elif opt == "-smp":
            out += [opt, "1"]
            if val != "1":
                replaced.append("-smp %s -> 1" % val)
        elif opt == "-numa" and qemuopts.Opt(val, "type").props.get("type") == "node":
            n = qemuopts.Opt(val, "type")
            n.props.pop("cpus", None)
            if first_node:
                n.props["cpus"] = "0"
                first_node = False
            out += [opt, n.text()]
        else:
            out += [opt, val]
    return out


def prop(d, key):
    return d.props.get(key)


def mutate(rest, devices, how):
    """A deliberately wrong VM; returns (rest, devices, what was done)."""
    standins = [d for d in devices if prop(d, "driver") == qemuopts.STANDIN]
    if how == "shared-smmu":
        devices = [d for d in devices if prop(d, "driver") != "arm-smmuv3"]
        rest = list(rest)
        for i, (opt, val) in enumerate(rest):
            if opt in ("-machine", "-M"):
                m = qemuopts.Opt(val, "type")
                m.props["iommu"] = "smmuv3"
                rest[i] = (opt, m.text())
        return rest, devices, "every arm-smmuv3 replaced by one machine-wide iommu=smmuv3"
    if how == "device-on-pcie0":
        moved = standins[0]
        moved.props.update(bus="pcie.0", addr="0x1f")
        moved.props.pop("multifunction", None)
        return rest, devices, "%s moved to pcie.0 slot 0x1f" % prop(moved, "id")
    if how == "split-functions":
        first = next(d for d in standins if qemuopts.onoff(prop(d, "multifunction")) == "on")
        sibling = next(d for d in standins if d is not first and prop(d, "bus") == prop(first, "bus")
                       and qemuopts.addr_tuple(prop(d, "addr"))[1] == 1)
        port = next(d for d in devices if prop(d, "id") == prop(first, "bus"))
        new_port = qemuopts.Opt("pcie-root-port,port=31,chassis=250,id=split0,bus=%s,addr=0x1f,hotplug=off"
                                % prop(port, "bus"), "driver")
        sibling.props.update(bus="split0", addr="0x0")
        devices.insert(devices.index(port) + 1, new_port)
        return rest, devices, "%s moved to a root port of its own on %s" % (prop(sibling, "id"), prop(port, "bus"))
    sys.exit("qemu-standin: unknown GUESTBOOT_MUTATE '%s'" % how)


def boot(cmd, out_dir, timeout):
    """Run QEMU, read the console until the tree's end marker; the tree's
    base64 lines and its SHA-256."""
    log = open(os.path.join(out_dir, "serial.log"), "w", errors="replace")
    err = open(os.path.join(out_dir, "qemu.stderr"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
    started, lines, inside, digest = time.time(), [], False, None
    try:
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
    if qemuopts.STANDIN not in STANDIN_IDS:
        sys.exit("qemu-standin: the PCI ids of the stand-in %s are not known here" % qemuopts.STANDIN)
    args, replaced = qemuopts.rewrite(sys.argv[1:], "stripped")
    rest, devices = devices_of(args)
    how = os.environ.get("GUESTBOOT_MUTATE")
    mutation = None
    if how:
        rest, devices, mutation = mutate(rest, devices, how)
    argv = for_boot(rest, replaced)
    for d in devices:
        argv += ["-device", d.text()]
    argv += ["-no-reboot", "-kernel", os.environ["GUESTBOOT_KERNEL"], "-initrd", os.environ["GUESTBOOT_INITRD"],
             "-append", "console=ttyAMA0 acpi=force panic=-1 quiet"]
    # The topology a boot shows: the argv without the VM's name and variable store.
    topology, skip = [], False
    for a in argv:
        if not skip and a != "-name" and not a.startswith("if=pflash,format=raw,unit=1,"):
            topology.append(a)
        skip = a == "-name"
    record = {"argv": argv, "replaced": replaced, "mutation": mutation,
              "standin": qemuopts.STANDIN, "standin_ids": STANDIN_IDS[qemuopts.STANDIN],
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
