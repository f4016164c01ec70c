#!/usr/bin/python3
"""The inputs of bench/validate and bench/validate-qemu: COUNT generated
GPU domains (4 pxb-pcie with an accelerated vSMMU each, 8 hostdevs, emulated
devices on pcie.0) as libvirt domain XML, vmNNNNN.xml, and with --argv also
as the QEMU command line libvirt 12.9 builds for each (`virsh
domxml-to-native qemu-argv` of the same domain, with KVM), vmNNNNN.argv.
  gen-validate-inputs.py DIR COUNT [--argv]"""
import os, sys
out, count = sys.argv[1], int(sys.argv[2])
argv_too = "--argv" in sys.argv[3:]

def port(index, parent, slot):
    return (f"    <controller type='pci' index='{index}' model='pcie-root-port'>\n"
            f"      <target chassis='{index}' port='0x{slot:x}' hotplug='off'/>\n"
            f"      <address type='pci' domain='0x0000' bus='0x{parent:02x}' slot='0x{slot:02x}' function='0x0'/>\n"
            f"    </controller>\n")

def device(**props):
    import json
    return "-device '" + json.dumps(props, separators=(",", ":")) + "'"

def command_line(n):
    """What libvirt 12.9 prints for domain n (recorded once with the real
    libvirt on a TCG copy; here with -accel kvm, as the domain is kvm)."""
    home = f"/var/lib/libvirt/qemu/domain-{n + 1}-gpu-vm-{n}"
    words = [f"LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME={home} "
             f"XDG_DATA_HOME={home}/.local/share XDG_CACHE_HOME={home}/.cache XDG_CONFIG_HOME={home}/.config "
             "/usr/bin/qemu-system-aarch64",
             f"-name guest=gpu-vm-{n},debug-threads=on", "-S",
             "-object '{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"" + home + "/master-key.aes\"}'",
             "-blockdev '{\"driver\":\"file\",\"filename\":\"/usr/share/AAVMF/AAVMF_CODE.ms.fd\",\"node-name\":\"libvirt-pflash0-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}'",
             "-blockdev '{\"node-name\":\"libvirt-pflash0-format\",\"read-only\":true,\"driver\":\"raw\",\"file\":\"libvirt-pflash0-storage\"}'",
             f"-blockdev '{{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/qemu/nvram/gpu-vm-{n}_VARS.fd\",\"node-name\":\"libvirt-pflash1-storage\",\"read-only\":false}}'",
             "-machine virt-11.1,usb=off,gic-version=3,dump-guest-core=off,pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-storage,acpi=on",
             "-accel kvm", "-cpu host", "-m size=268435456k", "-overcommit mem-lock=off", "-smp 64,sockets=64,cores=1,threads=1"]
    for node in range(2):
        words += [f"-object '{{\"qom-type\":\"memory-backend-ram\",\"id\":\"ram-node{node}\",\"size\":137438953472}}'",
                  f"-numa node,nodeid={node},cpus={32 * node}-{32 * node + 31},memdev=ram-node{node}"]
    words += [f"-uuid 5a7e5a7e-0000-4000-8000-{n:012x}", "-display none", "-no-user-config", "-nodefaults",
              f"-chardev socket,id=charmonitor,path={home}/monitor.sock,server=on,wait=off",
              "-object '{\"qom-type\":\"monitor-qmp\",\"id\":\"monitor\",\"chardev\":\"charmonitor\"}'",
              "-rtc base=utc", "-no-shutdown", "-boot strict=on"]
    for i in range(1, 5):
        words.append(device(driver="pcie-root-port", port=i, chassis=i, id=f"pci.{i}", hotplug=False, bus="pcie.0", addr=f"0x{i:x}"))
    index = 5
    for p in range(4):
        pxb = index
        words.append(device(driver="pxb-pcie", bus_nr=250 - 6 * p, id=f"pci.{pxb}", numa_node=p % 2, bus="pcie.0", addr=f"0x{5 + p:x}"))
        for slot in range(2):
            words.append(device(driver="pcie-root-port", port=slot, chassis=pxb + 1 + slot, id=f"pci.{pxb + 1 + slot}",
                                hotplug=False, bus=f"pci.{pxb}", addr=f"0x{slot:x}"))
        index += 3
    words.append(device(driver="qemu-xhci", id="usb", bus="pci.3", addr="0x0"))
    for p in range(4):
        words.append(device(driver="arm-smmuv3", **{"primary-bus": f"pci.{5 + 3 * p}"}, id=f"iommu{p}", accel=True,
                            ats="on", ril="on", ssidsize="20", oas="48"))
    words += [f"-blockdev '{{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/images/vm{n}.qcow2\",\"node-name\":\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}}'",
              "-blockdev '{\"node-name\":\"libvirt-1-format\",\"read-only\":false,\"driver\":\"qcow2\",\"file\":\"libvirt-1-storage\"}'",
              device(driver="virtio-blk-pci", bus="pci.1", addr="0x0", drive="libvirt-1-format", id="virtio-disk0", bootindex=1),
              "-netdev '{\"type\":\"tap\",\"fd\":\"18\",\"id\":\"hostnet0\"}'",
              device(driver="virtio-net-pci", netdev="hostnet0", id="net0", mac="52:54:00:%02x:%02x:%02x" % (n >> 16 & 255, n >> 8 & 255, n & 255), bus="pci.2", addr="0x0"),
              "-chardev pty,id=charserial0", "-serial chardev:charserial0",
              "-audiodev '{\"id\":\"audio1\",\"driver\":\"none\"}'", "-object '{\"qom-type\":\"iommufd\",\"id\":\"iommufd0\"}'"]
    for p in range(4):
        for slot in range(2):
            words.append(device(driver="vfio-pci", id=f"ua-gpu{2 * p + slot}", iommufd="iommufd0", bus=f"pci.{5 + 3 * p + 1 + slot}", addr="0x0"))
    words += ["-object '{\"qom-type\":\"rng-random\",\"id\":\"objrng0\",\"filename\":\"/dev/urandom\"}'",
              device(driver="virtio-rng-pci", rng="objrng0", id="rng0", bus="pci.4", addr="0x0"),
              "-machine highmem-mmio-size=4T",
              "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", "-msg timestamp=on"]
    return " ".join(words) + "\n"

for n in range(count):
    devices = ["    <controller type='pci' index='0' model='pcie-root'/>\n"]
    for i in range(1, 5):                  # pcie.0: ports 1-4 for the emulated devices
        devices.append(port(i, 0, i))
    index, iommus, hostdevs = 5, [], []
    for p in range(4):                     # 4 pxb-pcie, 2 root ports and 2 GPUs each
        pxb = index
        devices.append(f"    <controller type='pci' index='{pxb}' model='pcie-expander-bus'>\n"
                       f"      <model name='pxb-pcie'/>\n"
                       f"      <target busNr='{250 - 6 * p}'>\n        <node>{p % 2}</node>\n      </target>\n"
                       f"      <address type='pci' domain='0x0000' bus='0x00' slot='0x{5 + p:02x}' function='0x0'/>\n"
                       f"    </controller>\n")
        for slot in range(2):
            devices.append(port(pxb + 1 + slot, pxb, slot))
            segment = 8 + p
            hostdevs.append(
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      <driver iommufd='yes'/>\n"
                f"      <source>\n        <address domain='0x{segment:04x}' bus='0x{1 + slot:02x}' slot='0x00' function='0x0'/>\n      </source>\n"
                f"      <alias name='ua-gpu{2 * p + slot}'/>\n"
                f"      <address type='pci' domain='0x0000' bus='0x{pxb + 1 + slot:02x}' slot='0x00' function='0x0'/>\n"
                "    </hostdev>\n")
        iommus.append("    <iommu model='smmuv3'>\n"
                      f"      <driver pciBus='{pxb}' accel='on' ats='on' ril='on' ssidsize='20' oas='48'/>\n"
                      "    </iommu>\n")
        index += 3
    emulated = (
        "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n"
        f"      <source file='/var/lib/libvirt/images/vm{n}.qcow2'/>\n      <target dev='vda' bus='virtio'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n    </disk>\n"
        "    <interface type='network'>\n      <mac address='52:54:00:%02x:%02x:%02x'/>\n" % (n >> 16 & 255, n >> 8 & 255, n & 255) +
        "      <source network='default'/>\n      <model type='virtio'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>\n    </interface>\n"
        "    <controller type='usb' index='0' model='qemu-xhci'>\n"
        "      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n    </controller>\n"
        "    <serial type='pty'><target port='0'/></serial>\n    <console type='pty'><target type='serial' port='0'/></console>\n"
        "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n"
        "      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>\n    </rng>\n"
        "    <memballoon model='none'/>\n")
    xml = (
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        f"  <name>gpu-vm-{n}</name>\n  <memory unit='GiB'>256</memory>\n  <vcpu placement='static'>64</vcpu>\n"
        "  <os firmware='efi'>\n    <type arch='aarch64' machine='virt'>hvm</type>\n  </os>\n"
        "  <features>\n    <acpi/>\n    <gic version='3'/>\n  </features>\n"
        "  <cpu mode='host-passthrough'>\n    <numa>\n"
        "      <cell id='0' cpus='0-31' memory='128' unit='GiB'/>\n      <cell id='1' cpus='32-63' memory='128' unit='GiB'/>\n"
        "    </numa>\n  </cpu>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-aarch64</emulator>\n"
        + "".join(devices) + emulated + "".join(hostdevs) + "".join(iommus) +
        "  </devices>\n"
        "  <qemu:commandline>\n    <qemu:arg value='-machine'/>\n    <qemu:arg value='highmem-mmio-size=4T'/>\n"
        "  </qemu:commandline>\n</domain>\n")
    with open(os.path.join(out, f"vm{n:05d}.xml"), "w") as f:
        f.write(xml)
    if argv_too:
        with open(os.path.join(out, f"vm{n:05d}.argv"), "w") as f:
            f.write(command_line(n))
