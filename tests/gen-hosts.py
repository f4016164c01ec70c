#!/usr/bin/python3
"""Write synthetic Arm host trees (sysfs, IORT, /dev, hw_info) for smmuctl tests.

    tests/gen-hosts.py OUTDIR [--only NAME] [--big NSMMU NDEV]

Each host goes to OUTDIR/<name>/, a root prefix for `smmuctl probe --root`.
OUTDIR/<name> is deleted first; output is deterministic (no clock, no
randomness).  The layout follows SPEC.md section 2; the machine facts are
imitations of GB200, Ampere Altra and Kunpeng 920 class hosts with dummy
identities (no real serial numbers, hostnames or firmware strings).

Reading order: data tables (PCI models, SMMU models, hosts), then the
resolver that turns a host description into objects, then one writer per
sysfs object kind, then main.
"""

import argparse
import json
import os
import re
import shutil
import struct
import sys
from collections import Counter
from types import SimpleNamespace

KiB, MiB, GiB, TiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40

# ---------------------------------------------------------------------------
# PCI function models.  bars: (index, size, kind); kinds m32/m64 (memory),
# p64 (prefetchable); a 64-bit BAR also uses the next index.  ext: PCIe
# extended capabilities besides AER (which every function has).
# pasid: (max width, exec, priv).  link: (max_link_speed, max_link_width).
# ---------------------------------------------------------------------------
PCI_MODELS = {
    # Root ports and bridges (class 0x060400, driver pcieport).
    "grace-rp":    dict(ids=(0x10de, 0x22b2), cls=0x060400, link=("32.0 GT/s PCIe", 16), ext=("acs",)),
    "ampere-rp":   dict(ids=(0x1def, 0xe101), cls=0x060400, link=("16.0 GT/s PCIe", 16), ext=("acs",)),
    "hisi-rp":     dict(ids=(0x19e5, 0xa120), cls=0x060400, link=("16.0 GT/s PCIe", 16), ext=("acs",)),
    # Kunpeng puts its on-chip NICs behind a virtual bridge without a link.
    "hisi-bridge": dict(ids=(0x19e5, 0xa121), cls=0x060400, link=("Unknown", 0), ext=("acs",)),
    # Endpoints.
    "gb200-gpu": dict(ids=(0x10de, 0x2941), subsys=(0x10de, 0x2046), cls=0x030200, rev=0xa1,
                      bars=((0, 64 * MiB, "m64"), (2, 512 * GiB, "p64"), (4, 32 * MiB, "p64")),
                      link=("32.0 GT/s PCIe", 16), ext=("ats", "pasid", "pri"), pasid=(20, False, False)),
    # A100 PCIe: BAR0 is a 32-bit BAR, which is what leaves room for BAR1.
    "a100":      dict(ids=(0x10de, 0x20b5), subsys=(0x10de, 0x1533), cls=0x030200, rev=0xa1,
                      bars=((0, 16 * MiB, "m32"), (1, 64 * GiB, "p64"), (3, 32 * MiB, "p64")),
                      link=("16.0 GT/s PCIe", 16), ext=("ats",)),
    "cx7":       dict(ids=(0x15b3, 0x1021), subsys=(0x15b3, 0x0041), cls=0x020000,
                      bars=((0, 32 * MiB, "p64"),), link=("32.0 GT/s PCIe", 16), ext=("ats",)),
    "cx6":       dict(ids=(0x15b3, 0x101b), subsys=(0x15b3, 0x0007), cls=0x020000,
                      bars=((0, 32 * MiB, "p64"),), link=("16.0 GT/s PCIe", 16), ext=("ats", "sriov"),
                      sriov=dict(vf_device=0x101e, total=8, num=1, bar=(0, 1 * MiB, "p64"))),
    # A VF: its BAR lives in the PF's IOV BAR; its config space reads
    # vendor/device 0xffff (the kernel takes the ids from the PF).
    "cx6-vf":    dict(ids=(0x15b3, 0x101e), subsys=(0x15b3, 0x0007), cls=0x020000, vf=True,
                      bars=((0, 1 * MiB, "p64"),), link=("16.0 GT/s PCIe", 16), ext=("ats",)),
    "nvme":      dict(ids=(0x144d, 0xa80a), subsys=(0x144d, 0xa801), cls=0x010802,
                      bars=((0, 16 * KiB, "m64"),), link=("16.0 GT/s PCIe", 4), ext=()),
    "e810":      dict(ids=(0x8086, 0x1593), subsys=(0x8086, 0x0002), cls=0x020000, rev=0x02,
                      bars=((0, 32 * MiB, "p64"), (3, 64 * KiB, "p64")), link=("16.0 GT/s PCIe", 16), ext=()),
    "i350":      dict(ids=(0x8086, 0x1521), subsys=(0x8086, 0x0002), cls=0x020000, rev=0x01,
                      bars=((0, 1 * MiB, "m32"), (3, 16 * KiB, "m32")), link=("5.0 GT/s PCIe", 4), ext=()),
    # HNS3: root-complex integrated endpoints, no PCIe link of their own.
    "hns3":      dict(ids=(0x19e5, 0xa222), subsys=(0x19e5, 0x0454), cls=0x020000, rev=0x21, rciep=True,
                      bars=((0, 64 * KiB, "p64"), (2, 1 * MiB, "p64")), link=("Unknown", 0), ext=()),
}

# resource-file flags (kernel IORESOURCE_* | BAR type bits) and config BAR low bits.
BAR_KINDS = {
    "m32": dict(flags=0x040200, cfg=0x0, is64=False, pref=False),
    "m64": dict(flags=0x140204, cfg=0x4, is64=True, pref=False),
    "p64": dict(flags=0x14220c, cfg=0xc, is64=True, pref=True),
}
BRIDGE_MEM_FLAGS, BRIDGE_PREF_FLAGS = 0x200, 0x102201

# ---------------------------------------------------------------------------
# SMMUv3 ID registers.  Field positions from SPEC.md section 2, plus a few
# other architected fields (MSI, CD2L, queue sizes) so that a decoder that
# forgets to mask is caught.
# ---------------------------------------------------------------------------
IDR_FIELDS = {
    "idr0": dict(S2P=(0, 0), S1P=(1, 1), TTF=(3, 2), COHACC=(4, 4), BTM=(5, 5), HTTU=(7, 6), ATS=(10, 10),
                 ASID16=(12, 12), MSI=(13, 13), PRI=(16, 16), VMID16=(18, 18), CD2L=(19, 19), ST_LEVEL=(28, 27)),
    "idr1": dict(SIDSIZE=(5, 0), SSIDSIZE=(10, 6), PRIQS=(15, 11), EVENTQS=(20, 16), CMDQS=(25, 21)),
    "idr3": dict(FWB=(8, 8), RIL=(10, 10), BBML=(12, 11)),
    "idr5": dict(OAS=(2, 0), GRAN4K=(4, 4), GRAN16K=(5, 5), GRAN64K=(6, 6)),
}

# How each IDR value is composed (field=value; a bare name is 1):
#
# model        reg   fields                                                        value
# grace-gpu    IDR0  S2P S1P TTF=2 COHACC BTM HTTU=2 ATS ASID16 MSI PRI VMID16
#                    CD2L ST_LEVEL=1                                               0x080d34bb
#              IDR1  SIDSIZE=16 SSIDSIZE=20 PRIQS=19 EVENTQS=19 CMDQS=19           0x02739d10
#              IDR3  RIL BBML=2 (FWB=0: Grace relies on IORT CANWBS)               0x00001400
#              IDR5  OAS=5 (48 bits) GRAN4K GRAN16K GRAN64K                        0x00000075
# grace-nic    IDR0  as grace-gpu without PRI                                      0x080c34bb
#              IDR1  as grace-gpu without PRIQS (no PRI queue)                     0x02730510
#              IDR3, IDR5 as grace-gpu
# altra-mmu600 IDR0  S2P S1P TTF=2 COHACC ATS ASID16 MSI VMID16 CD2L ST_LEVEL=1    0x080c341b
#              IDR1  SIDSIZE=16 SSIDSIZE=16 EVENTQS=19 CMDQS=19                    0x02730410
#              IDR3  0 (no FWB, no RIL)                                            0x00000000
#              IDR5  OAS=4 (44 bits) GRAN4K GRAN16K GRAN64K                        0x00000074
# kunpeng920   IDR0  S2P S1P TTF=2 COHACC ASID16 MSI VMID16 CD2L ST_LEVEL=1        0x080c301b
#                    (no ATS, no BTM, HTTU=0)
#              IDR1  SIDSIZE=16 SSIDSIZE=16 EVENTQS=19 CMDQS=19                    0x02730410
#              IDR3  FWB RIL                                                       0x00000500
#              IDR5  OAS=5 (48 bits) GRAN4K GRAN16K GRAN64K                        0x00000075
# mmu700       IDR0  as altra-mmu600                                               0x080c341b
#              IDR1  SIDSIZE=16 SSIDSIZE=20 EVENTQS=19 CMDQS=19                    0x02730510
#              IDR3  FWB RIL                                                       0x00000500
#              IDR5  OAS=5 (48 bits) GRAN4K GRAN16K GRAN64K                        0x00000075
# no16k        IDR0, IDR1, IDR3 as mmu700                                          as mmu700
#              IDR5  OAS=5 (48 bits) GRAN4K GRAN64K (no 16K granule)               0x00000055
# Granules: QEMU's accelerated vSMMU advertises 4K, 16K and 64K and refuses a
# host SMMU whose IDR5.GRAN* differ (smmuv3_accel_check_hw_compatible), and
# that check was developed and tested on the machines imitated here: NVIDIA
# Grace ("lightly tested this on a Grace platform", qemu-devel RFC "vEVENTQ
# support for accelerated SMMUv3", Nov 2025) and HiSilicon Kunpeng 920 ("Tested
# on a HiSilicon platform with multiple SMMUv3s", v3 of the accelerated SMMUv3
# series, Jul 2025, with devices 0000:75:00.1 and 7d:02.1); Arm's MMU-600 and
# MMU-700 implement all three.  So every model has all three but no16k: Arm
# only recommends 4K and 64K (Kunkun Jiang, "hw/arm/smmuv3: Support 16K
# translation granule", QEMU 6.1), and no16k is the one host that fails the
# check on purpose.
# IDR2 and IDR4 are 0 everywhere.  IIDR = ProductID[31:20] Variant[19:16]
# Revision[15:12] Implementer[11:0]; Arm's JEP106 implementer is 0x43b, MMU-600
# is product 0x483, MMU-700 0x487 (ids as in Linux arm-smmu-v3.h; variant and
# revision illustrative).  AIDR = SMMUv3.x minor version (3.1 -> 0x1, 3.2 -> 0x2).
# IDR_VALUES repeats the value column; main() checks it, so this table and
# the recorded hwinfo.json cannot drift apart.
IDR_VALUES = {
    "grace-gpu":    (0x080d34bb, 0x02739d10, 0x00001400, 0x00000075),
    "grace-nic":    (0x080c34bb, 0x02730510, 0x00001400, 0x00000075),
    "altra-mmu600": (0x080c341b, 0x02730410, 0x00000000, 0x00000074),
    "kunpeng920":   (0x080c301b, 0x02730410, 0x00000500, 0x00000075),
    "mmu700":       (0x080c341b, 0x02730510, 0x00000500, 0x00000075),
    "no16k":        (0x080c341b, 0x02730510, 0x00000500, 0x00000055),
}
_GRACE = dict(idr0=dict(S2P=1, S1P=1, TTF=2, COHACC=1, BTM=1, HTTU=2, ATS=1, ASID16=1, MSI=1, PRI=1, VMID16=1,
                        CD2L=1, ST_LEVEL=1),
              idr1=dict(SIDSIZE=16, SSIDSIZE=20, PRIQS=19, EVENTQS=19, CMDQS=19),
              idr3=dict(FWB=0, RIL=1, BBML=2), idr5=dict(OAS=5, GRAN4K=1, GRAN16K=1, GRAN64K=1),
              iidr=0x4871043b, aidr=0x2)
SMMU_MODELS = {
    "grace-gpu": _GRACE,
    "grace-nic": dict(_GRACE, idr0=dict(_GRACE["idr0"], PRI=0), idr1=dict(_GRACE["idr1"], PRIQS=0)),
    "altra-mmu600": dict(idr0=dict(S2P=1, S1P=1, TTF=2, COHACC=1, ATS=1, ASID16=1, MSI=1, VMID16=1, CD2L=1,
                                   ST_LEVEL=1),
                         idr1=dict(SIDSIZE=16, SSIDSIZE=16, EVENTQS=19, CMDQS=19),
                         idr3=dict(), idr5=dict(OAS=4, GRAN4K=1, GRAN16K=1, GRAN64K=1),
                         iidr=0x4830243b, aidr=0x1),
    # HiSilicon's own SMMU; IIDR left 0 (implementation does not identify itself here).
    "kunpeng920": dict(idr0=dict(S2P=1, S1P=1, TTF=2, COHACC=1, ASID16=1, MSI=1, VMID16=1, CD2L=1, ST_LEVEL=1),
                       idr1=dict(SIDSIZE=16, SSIDSIZE=16, EVENTQS=19, CMDQS=19),
                       idr3=dict(FWB=1, RIL=1), idr5=dict(OAS=5, GRAN4K=1, GRAN16K=1, GRAN64K=1),
                       iidr=0x00000000, aidr=0x2),
    "mmu700": dict(idr0=dict(S2P=1, S1P=1, TTF=2, COHACC=1, ATS=1, ASID16=1, MSI=1, VMID16=1, CD2L=1, ST_LEVEL=1),
                   idr1=dict(SIDSIZE=16, SSIDSIZE=20, EVENTQS=19, CMDQS=19),
                   idr3=dict(FWB=1, RIL=1), idr5=dict(OAS=5, GRAN4K=1, GRAN16K=1, GRAN64K=1),
                   iidr=0x4870043b, aidr=0x2),
}
# An SMMU with only the granules Arm recommends at least (4K, 64K): nests, but
# QEMU's accel check refuses it ("Host SMMUv3 doesn't support 16K translation
# granule").  No particular product.
SMMU_MODELS["no16k"] = dict(SMMU_MODELS["mmu700"], idr5=dict(OAS=5, GRAN4K=1, GRAN64K=1))

# ---------------------------------------------------------------------------
# Hosts.  smmus: index N (arm-smmu-v3.N.auto) is the list position.
# segments: IORT root complexes; map = (first bus, last bus, SMMU base):
# that bus range of the segment is translated by that SMMU (RID -> StreamID
# identity), which also decides every device's sysfs `iommu` link.
# pci: functions; bridges carry the `secondary` bus they lead to.  A
# function's NUMA node is its SMMU's unless given.  Groups are numbered in
# BDF order unless given.  damage: edits applied after writing (broken-*).
# ---------------------------------------------------------------------------
def pci(bdf, model, driver=None, **kw):
    return dict(bdf=bdf, model=model, driver=driver, **kw)


SW_MSI = "0x0000000008000000 0x00000000080fffff msi\n"   # IOMMU_RESV_SW_MSI, 0x8000000 + 1 MiB

HOSTS = {
    "gb200": dict(
        about="GB200-class: Grace x2 + 4 Blackwell GPUs, one SMMU per GPU, NIC SMMUs",
        kernel="6.8.0-1020-nvidia-64k", nodes={0: "0-71", 1: "72-143"},
        iommufd=True, vfio_cdev=True, vfio_group_nodes=True, group_type="DMA", hwinfo=True,
        smmus=[dict(base=0x0000000011000000, node=0, model="grace-nic"),
               dict(base=0x0000000016000000, node=0, model="grace-gpu"),
               dict(base=0x0000000016800000, node=0, model="grace-gpu"),
               dict(base=0x0000001011000000, node=1, model="grace-nic"),
               dict(base=0x0000001016000000, node=1, model="grace-gpu"),
               dict(base=0x0000001016800000, node=1, model="grace-gpu")],
        segments=[dict(seg=0x0000, map=[(0x00, 0xff, 0x0000000011000000)]),
                  dict(seg=0x0008, map=[(0x00, 0xff, 0x0000000016000000)], canwbs=True, pasid_width=20),
                  dict(seg=0x0009, map=[(0x00, 0xff, 0x0000000016800000)], canwbs=True, pasid_width=20),
                  dict(seg=0x0010, map=[(0x00, 0xff, 0x0000001011000000)]),
                  dict(seg=0x0018, map=[(0x00, 0xff, 0x0000001016000000)], canwbs=True, pasid_width=20),
                  dict(seg=0x0019, map=[(0x00, 0xff, 0x0000001016800000)], canwbs=True, pasid_width=20)],
        pci=[pci("0000:00:00.0", "grace-rp", secondary=0x01),
             pci("0000:01:00.0", "cx7", "vfio-pci"),
             pci("0000:01:00.1", "cx7", "mlx5_core"),
             pci("0008:00:00.0", "grace-rp", secondary=0x01),
             pci("0008:01:00.0", "gb200-gpu", "vfio-pci"),
             pci("0009:00:00.0", "grace-rp", secondary=0x01),
             pci("0009:01:00.0", "gb200-gpu", "vfio-pci"),
             pci("0010:00:00.0", "grace-rp", secondary=0x01),
             pci("0010:01:00.0", "cx7", "vfio-pci"),
             pci("0018:00:00.0", "grace-rp", secondary=0x01),
             pci("0018:01:00.0", "gb200-gpu", "vfio-pci"),
             pci("0019:00:00.0", "grace-rp", secondary=0x01),
             pci("0019:01:00.0", "gb200-gpu", "vfio-pci")],
        rmr=[(0x8000000, 0x100000)]),

    "altra": dict(
        about="Ampere Altra-class: 1 socket, 4 MMU-600 SMMUs (one per segment), no coherent walks",
        kernel="6.6.13+bpo-arm64", nodes={0: "0-79"}, pci_numa=-1,
        iommufd=True, vfio_cdev=True, vfio_group_nodes=True, group_type="DMA-FQ", hwinfo=True,
        smmus=[dict(base=0x0000100002000000 + k * 0x0000008000000000, node=-1, model="altra-mmu600")
               for k in range(4)],
        segments=[dict(seg=k, map=[(0x00, 0xff, 0x0000100002000000 + k * 0x0000008000000000)]) for k in range(4)],
        pci=[pci("0000:00:01.0", "ampere-rp", secondary=0x01),
             pci("0000:01:00.0", "a100", "vfio-pci"),
             pci("0001:00:01.0", "ampere-rp", secondary=0x01),
             pci("0001:01:00.0", "a100", "vfio-pci"),
             pci("0002:00:01.0", "ampere-rp", secondary=0x01),
             pci("0002:01:00.0", "nvme", "nvme", group_type="identity"),
             pci("0003:00:01.0", "ampere-rp", secondary=0x01),
             pci("0003:01:00.0", "e810", "ice")]),

    "kunpeng": dict(
        about="Kunpeng 920-class: 4 NUMA nodes, 2 SMMUs splitting segment 0 by bus range",
        kernel="6.6.0-28.0.0.34.oe2403.aarch64", nodes={0: "0-31", 1: "32-63", 2: "64-95", 3: "96-127"},
        iommufd=True, vfio_cdev=True, vfio_group_nodes=True, group_type="DMA-FQ", hwinfo=True,
        smmus=[dict(base=0x0000000140000000, node=0, model="kunpeng920"),
               dict(base=0x0000200140000000, node=2, model="kunpeng920")],
        segments=[dict(seg=0, map=[(0x00, 0x7f, 0x0000000140000000), (0x80, 0xff, 0x0000200140000000)])],
        pci=[pci("0000:7c:00.0", "hisi-bridge", secondary=0x7d),
             pci("0000:7d:00.0", "hns3", "hns3"),
             pci("0000:7d:00.1", "hns3", "hns3"),
             pci("0000:7d:00.2", "hns3", "vfio-pci"),
             pci("0000:7d:00.3", "hns3", "hns3"),
             pci("0000:80:00.0", "hisi-rp", secondary=0x81),
             pci("0000:81:00.0", "cx6", "mlx5_core"),
             pci("0000:81:00.1", "cx6-vf", "vfio-pci")]),

    "no-iommufd": dict(
        about="older Arm host, kernel 5.15: legacy VFIO groups only, no /dev/iommu, no cdevs",
        kernel="5.15.0-105-generic", nodes={0: "0-31"}, pci_numa=-1, config_size=256,
        iommufd=False, vfio_cdev=False, vfio_group_nodes=True, group_type="DMA", hwinfo=False,
        smmus=[dict(base=0x0000100002000000, node=-1, model="altra-mmu600")],
        segments=[dict(seg=0, map=[(0x00, 0xff, 0x0000100002000000)])],
        pci=[pci("0000:00:01.0", "ampere-rp", secondary=0x01),
             pci("0000:01:00.0", "a100", "vfio-pci", group=3)]),

    "no16k": dict(
        about="1 SMMU without the 16K granule (IDR5.GRAN16K=0): nests, but QEMU's accel check refuses it",
        kernel="6.12.9+bpo-arm64", nodes={0: "0-63"},
        iommufd=True, vfio_cdev=True, vfio_group_nodes=True, group_type="DMA", hwinfo=True,
        smmus=[dict(base=0x0000000040000000, node=0, model="no16k")],
        segments=[dict(seg=0, map=[(0x00, 0xff, 0x0000000040000000)])],
        pci=[pci("0000:00:01.0", "ampere-rp", secondary=0x01),
             pci("0000:01:00.0", "a100", "vfio-pci")]),

    "split-group": dict(
        about="1 SMMU; a dual-port NIC without ACS shares group 5 across two drivers",
        kernel="6.12.9+bpo-arm64", nodes={0: "0-63"},
        iommufd=True, vfio_cdev=True, vfio_group_nodes=True, group_type="DMA", hwinfo=True,
        smmus=[dict(base=0x0000000030000000, node=0, model="mmu700")],
        segments=[dict(seg=0, map=[(0x00, 0xff, 0x0000000030000000)])],
        pci=[pci("0000:00:01.0", "ampere-rp", secondary=0x01),
             pci("0000:00:02.0", "ampere-rp", secondary=0x02),
             pci("0000:01:00.0", "i350", "vfio-pci", group=5),
             pci("0000:01:00.1", "i350", "igb", group=5),
             pci("0000:02:00.0", "a100", "vfio-pci")]),
}

# Broken trees: a small GB200-like base plus damage.  Damage paths are
# relative to the host dir; "@BDF" stands for the device's real directory.
#   ("link", path, target)  relative symlink to a root-relative target
#   ("raw_link", path, s)   symlink with literal contents s
#   ("write", path, s)      replace a file's contents
#   ("rmtree", path) / ("remove", path)
#   ("iort_truncate", declared, actual)  lie about the length, cut the file
_SMALL = dict(kernel="6.8.0-1020-nvidia-64k", nodes={0: "0-71"}, iommufd=True, vfio_cdev=True,
              vfio_group_nodes=False, group_type="DMA", hwinfo=False,
              smmus=[dict(base=0x0000000016000000, node=0, model="grace-gpu")],
              segments=[dict(seg=0x0008, map=[(0x00, 0xff, 0x0000000016000000)], canwbs=True)])
_SMALL_PCI = [pci("0008:00:00.0", "grace-rp", secondary=0x01), pci("0008:01:00.0", "gb200-gpu", "vfio-pci")]
_SMMU0_DIR = "sys/devices/platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000016000000"
_GONE_SMMU = "sys/devices/platform/arm-smmu-v3.1.auto/iommu/smmu3.0x0000000016800000"

HOSTS.update({
    "broken-dangling": dict(_SMALL, about="dangling iommu, iommu_group and /sys/class/iommu links",
        pci=_SMALL_PCI + [pci("0008:00:01.0", "grace-rp", secondary=0x02),
                          pci("0008:02:00.0", "gb200-gpu", "vfio-pci", group=9)],
        damage=[("link", "@0008:02:00.0/iommu", _GONE_SMMU),
                ("link", "@0008:02:00.0/iommu_group", "sys/kernel/iommu_groups/99"),
                ("rmtree", "sys/kernel/iommu_groups/9"),
                ("remove", _SMMU0_DIR + "/devices/0008:02:00.0"),
                ("link", "sys/class/iommu/smmu3.0x0000000016800000", _GONE_SMMU)]),
    "broken-iort": dict(_SMALL, about="IORT header says 200 bytes, the file has 100",
        pci=_SMALL_PCI, damage=[("iort_truncate", 200, 100)]),
    "broken-escape": dict(_SMALL, about="an iommu_group link escaping the root; an absolute driver link (legal)",
        segments=[dict(seg=0, map=[(0x00, 0xff, 0x0000000016000000)], canwbs=True)],
        pci=[pci("0000:00:01.0", "grace-rp", secondary=0x01), pci("0000:01:00.0", "gb200-gpu", "vfio-pci", group=3),
             pci("0000:00:02.0", "grace-rp", secondary=0x02), pci("0000:02:00.0", "cx7", "vfio-pci")],
        damage=[("raw_link", "@0000:01:00.0/iommu_group", "../../../../../../../../../../etc"),
                ("rmtree", "sys/kernel/iommu_groups/3"),
                ("raw_link", "@0000:02:00.0/driver", "/sys/bus/pci/drivers/vfio-pci")]),
    "broken-loop": dict(_SMALL, about="a symlink loop: iommu -> iommu2 -> iommu",
        segments=[dict(seg=0, map=[(0x00, 0xff, 0x0000000016000000)], canwbs=True)],
        pci=[pci("0000:00:01.0", "grace-rp", secondary=0x01), pci("0000:01:00.0", "gb200-gpu", "vfio-pci")],
        damage=[("raw_link", "@0000:01:00.0/iommu", "iommu2"), ("raw_link", "@0000:01:00.0/iommu2", "iommu")]),
    "broken-garbage": dict(_SMALL, about="unparsable vendor, resource, numa_node and class attributes",
        segments=[dict(seg=0, map=[(0x00, 0xff, 0x0000000016000000)], canwbs=True)],
        pci=[pci("0000:00:01.0", "grace-rp", secondary=0x01), pci("0000:01:00.0", "gb200-gpu", "vfio-pci"),
             pci("0000:00:02.0", "grace-rp", secondary=0x02), pci("0000:02:00.0", "cx7", "vfio-pci")],
        damage=[("write", "@0000:01:00.0/vendor", "banana\n"),
                ("write", "@0000:01:00.0/resource",
                 "0x0000400040000000 0x0000400043ffffff\n"                       # 2 fields
                 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                 "0x0000410000000000 0x000040ffffffffff 0x000000000014220c\n"    # end < start
                 + "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" * 10),
                ("write", "@0000:01:00.0/numa_node", "99999999999999999999\n"),
                ("write", "@0000:01:00.0/class", "")]),
})

# Address plan: segment S's MMIO lives at MMIO_BASE + S * stride; its
# non-prefetchable window has bus addresses BUS_MEM_BASE.. (below 4 GiB,
# CPU = segment base + bus), its prefetchable window is identity-mapped at
# segment base + stride / 2.
MMIO_BASE, MMIO_STRIDE, BUS_MEM_BASE = 0x0000400000000000, 2 * TiB, 0x40000000
BIG_MMIO_STRIDE = 64 * GiB
BIG_FUNCTIONS = 8            # functions per endpoint device in the big host
BIG_MODELS = ("cx7", "e810")  # alternate per bus: vfio-pci NIC, ice NIC


def big_host(nsmmu, ndev):
    """NSMMU segments, one SMMU and one IORT root complex each; NDEV endpoints
    spread evenly, 8 functions per device behind one root port per bus; root
    ports fill the root bus as devices 0-31 x functions 0-7."""
    per_seg = [ndev // nsmmu + (1 if s < ndev % nsmmu else 0) for s in range(nsmmu)]
    if max(per_seg) > 255 * BIG_FUNCTIONS or nsmmu > 0x10000:
        sys.exit("gen-hosts: --big: at most %d devices per SMMU and 65536 SMMUs" % (255 * BIG_FUNCTIONS))
    bases = [0x0000000100000000 + s * 0x0000000004000000 for s in range(nsmmu)]
    devices = []
    for seg, count in enumerate(per_seg):
        for port in range((count + BIG_FUNCTIONS - 1) // BIG_FUNCTIONS):
            bus = port + 1
            devices.append(pci("%04x:00:%02x.%x" % (seg, port // 8, port % 8), "grace-rp", secondary=bus))
            model = BIG_MODELS[port % 2]
            driver = "vfio-pci" if model == "cx7" else "ice"
            for fn in range(min(BIG_FUNCTIONS, count - port * BIG_FUNCTIONS)):
                devices.append(pci("%04x:%02x:00.%x" % (seg, bus, fn), model, driver))
    return dict(about="benchmark host: %d SMMUs, %d endpoints" % (nsmmu, ndev),
                kernel="6.8.0-1020-nvidia-64k", nodes={0: "0-71", 1: "72-143"}, mmio_stride=BIG_MMIO_STRIDE,
                iommufd=True, vfio_cdev=True, vfio_group_nodes=True, group_type="DMA-FQ", hwinfo=True,
                smmus=[dict(base=b, node=s * 2 // nsmmu, model="grace-gpu") for s, b in enumerate(bases)],
                segments=[dict(seg=s, map=[(0x00, 0xff, b)], canwbs=True) for s, b in enumerate(bases)],
                pci=devices)


# ---------------------------------------------------------------------------
# Resolver: host description -> objects with paths, groups and addresses.
# ---------------------------------------------------------------------------
BDF_RE = re.compile(r"^([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$")


def align_up(value, alignment):
    return (value + alignment - 1) // alignment * alignment


def compose_idr(reg, values):
    word = 0
    for name, value in values.items():
        hi, lo = IDR_FIELDS[reg][name]
        assert 0 <= value < (1 << (hi - lo + 1)), (reg, name, value)
        word |= value << lo
    return word


def resolve(name, desc):
    host = SimpleNamespace(name=name, desc=desc, smmus=[], devices=[], groups={})
    by_base = {}
    for idx, s in enumerate(desc["smmus"]):
        smmu = SimpleNamespace(idx=idx, base=s["base"], node=s["node"], model=SMMU_MODELS[s["model"]],
                               name="smmu3.0x%016x" % s["base"], devices=[])
        smmu.platform_dir = "sys/devices/platform/arm-smmu-v3.%d.auto" % idx
        smmu.iommu_dir = "%s/iommu/%s" % (smmu.platform_dir, smmu.name)
        host.smmus.append(smmu)
        by_base[s["base"]] = smmu
    segments = {s["seg"]: s for s in desc["segments"]}

    for d in sorted(desc["pci"], key=lambda d: d["bdf"]):
        m = BDF_RE.match(d["bdf"])
        assert m, d["bdf"]
        seg, bus, slot, fn = (int(x, 16) for x in m.groups())
        model = PCI_MODELS[d["model"]]
        dev = SimpleNamespace(bdf=d["bdf"], seg=seg, bus=bus, slot=slot, fn=fn, model=model, spec=d,
                              bridge=model["cls"] >> 8 == 0x0604, secondary=d.get("secondary"), pf=None,
                              driver=d["driver"] or "pcieport", vfio_index=None, children=[], parent=None)
        smmu_base = next(b for lo, hi, b in segments[seg]["map"] if lo <= bus <= hi)
        dev.smmu = by_base[smmu_base]
        dev.smmu.devices.append(dev)
        dev.node = d.get("node", desc.get("pci_numa", dev.smmu.node))
        host.devices.append(dev)

    bridges = {(d.seg, d.secondary): d for d in host.devices if d.bridge}
    for dev in host.devices:
        dev.parent = bridges.get((dev.seg, dev.bus))
        if dev.parent:
            dev.parent.children.append(dev)
            dev.dir = "%s/%s" % (dev.parent.dir, dev.bdf)
        else:
            dev.dir = "sys/devices/pci%04x:%02x/%s" % (dev.seg, dev.bus, dev.bdf)
    per_slot = Counter((d.seg, d.bus, d.slot) for d in host.devices)
    function0 = {(d.seg, d.bus, d.slot): d for d in host.devices if d.fn == 0}
    for dev in host.devices:
        dev.multifunction = per_slot[dev.seg, dev.bus, dev.slot] > 1
        if dev.model.get("vf"):
            dev.pf = function0[dev.seg, dev.bus, dev.slot]     # VF n is function n of the PF's slot

    explicit = {d.spec["group"] for d in host.devices if "group" in d.spec}
    next_group = 0
    for dev in host.devices:
        if "group" in dev.spec:
            dev.group = dev.spec["group"]
        else:
            while next_group in explicit:
                next_group += 1
            dev.group = next_group
            next_group += 1
        host.groups.setdefault(dev.group, []).append(dev)

    vfio = [d for d in host.devices if d.driver == "vfio-pci"]
    if desc["vfio_cdev"]:
        for n, dev in enumerate(vfio):
            dev.vfio_index = n
    assign_addresses(host, desc.get("mmio_stride", MMIO_STRIDE))
    return host


def assign_addresses(host, stride):
    """Give every BAR an address: per root port one non-prefetchable and one
    prefetchable window, BARs packed largest first (naturally aligned)."""
    cursors = {}
    for dev in host.devices:
        dev.bars = {}          # index -> (cpu address, size, kind, bus address)
        dev.iov_bar = None
        dev.windows = {}       # "mem"/"pref" -> (cpu start, cpu end, bus start)
    for bridge in (d for d in host.devices if d.bridge):
        seg_base = MMIO_BASE + bridge.seg * stride
        mem_bus, pref = cursors.setdefault(bridge.seg, [BUS_MEM_BASE, seg_base + stride // 2])
        items = {"mem": [], "pref": []}
        for child in bridge.children:
            if child.pf:
                continue                                  # lives in the PF's IOV BAR
            for idx, size, kind in child.model.get("bars", ()):
                items["pref" if BAR_KINDS[kind]["pref"] else "mem"].append((size, child.bdf, idx, child, kind))
            sriov = child.model.get("sriov")
            if sriov:
                _, size, kind = sriov["bar"]
                items["pref"].append((size * sriov["total"], child.bdf, "iov", child, kind))
        for window, start in (("mem", mem_bus), ("pref", pref)):
            bars = sorted(items[window], key=lambda t: (-t[0], t[1], str(t[2])))
            if not bars:
                continue
            cursor = base = align_up(start, max(MiB, bars[0][0]))
            for size, _, idx, child, kind in bars:
                cursor = align_up(cursor, size)
                cpu = cursor + (seg_base if window == "mem" else 0)
                if idx == "iov":
                    child.iov_bar = (cpu, size, kind, cursor)
                else:
                    child.bars[idx] = (cpu, size, kind, cursor)
                cursor += size
            end = align_up(cursor, MiB)
            offset = seg_base if window == "mem" else 0
            bridge.windows[window] = (base + offset, end - 1 + offset, base)
            if window == "mem":
                cursors[bridge.seg][0] = end
                assert end <= 1 << 32, "non-prefetchable window of %s exceeds 4 GiB" % bridge.bdf
            else:
                cursors[bridge.seg][1] = end
    for vf in (d for d in host.devices if d.pf):
        cpu, _, kind, bus_addr = vf.pf.iov_bar
        idx, size, _ = vf.model["bars"][0]
        vf.bars[idx] = (cpu + (vf.fn - 1) * size, size, kind, bus_addr + (vf.fn - 1) * size)


# ---------------------------------------------------------------------------
# The tree under the host dir.
# ---------------------------------------------------------------------------
class Tree:
    def __init__(self, root):
        self.root = root
        self.made = set()

    def mkdir(self, rel):
        if rel not in self.made:
            os.makedirs(os.path.join(self.root, rel), exist_ok=True)
            self.made.add(rel)

    def write(self, rel, data):
        self.mkdir(os.path.dirname(rel))
        with open(os.path.join(self.root, rel), "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)

    def link(self, rel, target):
        """Relative symlink at rel to the root-relative path target."""
        self.raw_link(rel, os.path.relpath(target, os.path.dirname(rel)))

    def raw_link(self, rel, contents):
        self.mkdir(os.path.dirname(rel))
        path = os.path.join(self.root, rel)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(contents, path)


def node_list(nodes):
    """Kernel node-list format: 0-3 or 0,2."""
    nodes, parts, i = sorted(nodes), [], 0
    while i < len(nodes):
        j = i
        while j + 1 < len(nodes) and nodes[j + 1] == nodes[j] + 1:
            j += 1
        parts.append(str(nodes[i]) if i == j else "%d-%d" % (nodes[i], nodes[j]))
        i = j + 1
    return ",".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Writers, one per sysfs object kind.
# ---------------------------------------------------------------------------
def write_numa(tree, host):
    nodes = host.desc["nodes"]
    base = "sys/devices/system/node"
    for n, cpus in sorted(nodes.items()):
        tree.write("%s/node%d/cpulist" % (base, n), cpus + "\n")
    for attr in ("has_cpu", "has_memory", "online", "possible"):
        tree.write("%s/%s" % (base, attr), node_list(nodes))


def write_smmu(tree, smmu):
    tree.write(smmu.platform_dir + "/numa_node", "%d\n" % smmu.node)
    tree.mkdir("sys/bus/platform/drivers/arm-smmu-v3")
    tree.link(smmu.platform_dir + "/driver", "sys/bus/platform/drivers/arm-smmu-v3")
    tree.mkdir(smmu.iommu_dir + "/devices")
    tree.link("sys/class/iommu/" + smmu.name, smmu.iommu_dir)
    for dev in smmu.devices:
        tree.link("%s/devices/%s" % (smmu.iommu_dir, dev.bdf), dev.dir)


def resource_text(dev):
    """The `resource` file: 6 BARs, ROM, 6 IOV BARs; bridges add 4 windows."""
    lines = [(0, 0, 0)] * (17 if dev.bridge else 13)
    for idx, (cpu, size, kind, _) in dev.bars.items():
        lines[idx] = (cpu, cpu + size - 1, BAR_KINDS[kind]["flags"])
    if dev.iov_bar:
        cpu, size, kind, _ = dev.iov_bar
        lines[7] = (cpu, cpu + size - 1, BAR_KINDS[kind]["flags"])
    for window, line, flags in (("mem", 14, BRIDGE_MEM_FLAGS), ("pref", 15, BRIDGE_PREF_FLAGS)):
        if window in dev.windows:
            lines[line] = dev.windows[window][:2] + (flags,)
    return "".join("0x%016x 0x%016x 0x%016x\n" % line for line in lines)


def speed_code(speed):
    return {"2.5": 1, "5.0": 2, "8.0": 3, "16.0": 4, "32.0": 5, "64.0": 6}.get(speed.split()[0], 0)


def config_space(dev, size):
    """Config space: type 0/1 header, PM -> MSI(-X) -> PCIe capabilities,
    extended capabilities chained from 0x100."""
    m = dev.model
    cfg = bytearray(4096)
    put = lambda fmt, off, *v: struct.pack_into("<" + fmt, cfg, off, *v)
    vendor, device = (0xffff, 0xffff) if m.get("vf") else m["ids"]
    put("HHHH", 0x00, vendor, device, 0x0006 if dev.bridge else 0x0146, 0x0010)
    put("I", 0x08, m.get("rev", 0) | m["cls"] << 8)
    put("B", 0x0e, (0x01 if dev.bridge else 0x00) | (0x80 if dev.multifunction else 0))
    put("B", 0x34, 0x40)
    put("BB", 0x3c, 0xff, 0 if dev.bridge else 1)
    if dev.bridge:
        subordinate = max([c.bus for c in dev.children] + [dev.secondary])
        put("BBBB", 0x18, dev.bus, dev.secondary, subordinate, 0)
        put("BB", 0x1c, 0xf0, 0x00)                          # no I/O window
        mem = dev.windows.get("mem")
        if mem:
            bus_end = mem[2] + mem[1] - mem[0]
            put("HH", 0x20, (mem[2] >> 16) & 0xfff0, (bus_end >> 16) & 0xfff0)
        else:
            put("HH", 0x20, 0xfff0, 0x0000)
        pref = dev.windows.get("pref")
        if pref:
            put("HHII", 0x24, (pref[0] >> 16) & 0xfff0 | 1, (pref[1] >> 16) & 0xfff0 | 1, pref[0] >> 32, pref[1] >> 32)
        else:
            put("HH", 0x24, 0xfff1, 0x0001)
        put("H", 0x3e, 0x0002)
    else:
        for idx, (_, _, kind, bus_addr) in dev.bars.items():
            put("I", 0x10 + 4 * idx, (bus_addr & 0xfffffff0) | BAR_KINDS[kind]["cfg"])
            if BAR_KINDS[kind]["is64"]:
                put("I", 0x14 + 4 * idx, bus_addr >> 32)
        put("HH", 0x2c, *m.get("subsys", m["ids"]))

    # Standard capabilities: PM @0x40, MSI (bridges) or MSI-X @0x50, PCIe @0x60.
    put("BBHH", 0x40, 0x01, 0x50, 0x0003, 0x0008)
    if dev.bridge:
        put("BBH", 0x50, 0x05, 0x60, 0x0080)                 # MSI, 64-bit
    else:
        put("BBHII", 0x50, 0x11, 0x60, 0x003f, 0x00000000, 0x00002000)   # MSI-X, 64 vectors
    speed, width = m["link"]
    code = speed_code(speed)
    port_type = 4 if dev.bridge else (9 if m.get("rciep") else 0)
    put("BBH", 0x60, 0x10, 0x00, 0x0002 | port_type << 4 | (0x100 if port_type == 4 else 0))
    put("I", 0x64, 0x00008002 | (0 if dev.bridge else 1 << 28))          # 512 B payload, RBER, FLR
    put("I", 0x6c, code | width << 4 | (1 << 20 if dev.bridge else 0) | dev.slot << 24)
    put("H", 0x72, code | width << 4)
    if port_type == 4:
        put("I", 0x74, (dev.secondary & 0x1fff) << 19)                  # physical slot number
    put("I", 0x8c, sum(1 << i for i in range(1, code + 1)))              # supported link speeds
    put("H", 0x90, code)

    # Extended capabilities: AER first, then as the model has them.
    ext = [(0x0001, 2, struct.pack("<12I", 0, 0, 0x00462030, 0, 0x00002000, 0, 0, 0, 0, 0, 0, 0)
            + (b"\0" * 16 if dev.bridge else b""))]
    for cap in m.get("ext", ()):
        if cap == "acs":
            ext.append((0x000d, 1, struct.pack("<HH", 0x001f, 0x001d)))
        elif cap == "ats":
            ext.append((0x000f, 1, struct.pack("<HH", 0x0020, 0x0000)))
        elif cap == "pasid":
            width_bits, exec_ok, priv_ok = m["pasid"]
            ext.append((0x001b, 1, struct.pack("<HH", exec_ok << 1 | priv_ok << 2 | width_bits << 8, 0)))
        elif cap == "pri":
            ext.append((0x0013, 1, struct.pack("<HHII", 0x0000, 0x8100, 0x00000200, 0)))
        elif cap == "sriov":
            ext.append((0x0010, 1, sriov_body(dev)))
    offset = 0x100
    for i, (cap_id, version, body) in enumerate(ext):
        following = offset + 4 + len(body) if i + 1 < len(ext) else 0
        put("I", offset, cap_id | version << 16 | following << 20)
        cfg[offset + 4:offset + 4 + len(body)] = body
        offset = following
    return bytes(cfg[:size])


def sriov_body(pf):
    sriov = pf.model["sriov"]
    body = bytearray(0x3c)
    struct.pack_into("<IHHHHHBBHHHHII", body, 0, 0, 0x0019, 0, sriov["total"], sriov["total"], sriov["num"],
                     0, 0, 1, 1, 0, sriov["vf_device"], 0x553, 0x1)
    _, _, kind, bus_addr = pf.iov_bar
    struct.pack_into("<II", body, 0x20, (bus_addr & 0xfffffff0) | BAR_KINDS[kind]["cfg"], bus_addr >> 32)
    return bytes(body)


def write_pci_device(tree, host, dev):
    m, d = dev.model, dev.dir
    vendor, device = m["ids"]
    subsys = m.get("subsys", (0, 0) if dev.bridge else m["ids"])
    speed, width = m["link"]
    attrs = {"vendor": "0x%04x\n" % vendor, "device": "0x%04x\n" % device,
             "subsystem_vendor": "0x%04x\n" % subsys[0], "subsystem_device": "0x%04x\n" % subsys[1],
             "class": "0x%06x\n" % m["cls"], "revision": "0x%02x\n" % m.get("rev", 0),
             "irq": "0\n", "numa_node": "%d\n" % dev.node, "resource": resource_text(dev),
             "max_link_speed": speed + "\n", "max_link_width": "%d\n" % width}
    if dev.bridge:
        attrs["secondary_bus_number"] = "%d\n" % dev.secondary
        attrs["subordinate_bus_number"] = "%d\n" % max([c.bus for c in dev.children] + [dev.secondary])
    if m.get("sriov"):
        attrs["sriov_totalvfs"] = "%d\n" % m["sriov"]["total"]
        attrs["sriov_numvfs"] = "%d\n" % m["sriov"]["num"]
    for attr, text in attrs.items():
        tree.write("%s/%s" % (d, attr), text)
    tree.write(d + "/config", config_space(dev, host.desc.get("config_size", 4096)))

    tree.link("sys/bus/pci/devices/" + dev.bdf, d)
    tree.link(d + "/iommu", dev.smmu.iommu_dir)
    tree.link(d + "/iommu_group", "sys/kernel/iommu_groups/%d" % dev.group)
    driver_dir = "sys/bus/pci/drivers/" + dev.driver
    tree.link(d + "/driver", driver_dir)
    tree.link("%s/%s" % (driver_dir, dev.bdf), d)
    if dev.pf:
        tree.link(d + "/physfn", dev.pf.dir)
        tree.link("%s/virtfn%d" % (dev.pf.dir, dev.fn - 1), d)
    if dev.vfio_index is not None:
        tree.write("%s/vfio-dev/vfio%d/dev" % (d, dev.vfio_index), "509:%d\n" % dev.vfio_index)


def write_iommu_group(tree, host, number, members):
    g = "sys/kernel/iommu_groups/%d" % number
    tree.mkdir(g + "/devices")
    for dev in members:
        tree.link("%s/devices/%s" % (g, dev.bdf), dev.dir)
    kind = next((d.spec["group_type"] for d in members if "group_type" in d.spec), host.desc["group_type"])
    tree.write(g + "/type", kind + "\n")
    tree.write(g + "/reserved_regions", SW_MSI)


def write_dev_nodes(tree, host):
    """/dev entries as empty regular files (presence is the fact)."""
    desc = host.desc
    if desc["iommufd"]:
        tree.write("dev/iommu", "")
    if desc["vfio_cdev"]:
        tree.mkdir("dev/vfio/devices")
    vfio = [d for d in host.devices if d.driver == "vfio-pci"]
    for dev in vfio:
        if dev.vfio_index is not None:
            tree.write("dev/vfio/devices/vfio%d" % dev.vfio_index, "")
        if desc["vfio_group_nodes"]:
            tree.write("dev/vfio/%d" % dev.group, "")
    if desc["vfio_group_nodes"] and vfio:
        tree.write("dev/vfio/vfio", "")


def write_kernel(tree, host):
    tree.write("proc/sys/kernel/osrelease", host.desc["kernel"] + "\n")


# IORT -------------------------------------------------------------------------
def iort_node(kind, length, revision, identifier, mappings, mappings_at, body):
    head = struct.pack("<BHBIII", kind, length, revision, identifier, len(mappings), mappings_at if mappings else 0)
    node = head + body + b"".join(struct.pack("<5I", *m) for m in mappings)
    assert len(node) == length, (kind, len(node), length)
    return node


def iort_table(host):
    desc = host.desc
    numa = len(desc["nodes"]) > 1
    its_ids = sorted(desc["nodes"])
    rmr = desc.get("rmr", [])
    its_len = 20 + 4 * len(its_ids)
    smmu_len = 68 + 20                                     # one ID mapping: the SMMU's own MSIs
    rc_lens = [40 + 20 * len(s["map"]) for s in desc["segments"]]
    offsets, at = [], 48
    for length in [its_len] + [smmu_len] * len(host.smmus) + rc_lens + ([28 + 20 * len(rmr)] if rmr else []):
        offsets.append(at)
        at += length
    its_at, smmu_at = offsets[0], dict(zip((s.base for s in host.smmus), offsets[1:]))
    nodes = [iort_node(0, its_len, 1, 0, [], 0, struct.pack("<I%dI" % len(its_ids), len(its_ids), *its_ids))]
    for smmu in host.smmus:
        # flags: bit 0 COHACC override, bit 3 proximity valid, bit 4 DeviceID mapping index valid.
        flags = 0x1 | 0x10 | (0x8 if numa and smmu.node >= 0 else 0)
        body = struct.pack("<QIIQIIIIIII", smmu.base, flags, 0, 0, 0, 0, 0, 0, 0, max(smmu.node, 0), 0)
        own_msi = (0, 0, 0x10000 + smmu.idx, its_at, 1)      # single mapping to the ITS
        nodes.append(iort_node(4, smmu_len, 4, len(nodes), [own_msi], 68, body))
    for seg, length in zip(desc["segments"], rc_lens):
        access = 0x1 | 0x2 | (0x4 if seg.get("canwbs") else 0)   # CPM, DACS, CANWBS
        body = struct.pack("<IBHBIIBHBI", 1, 0, 0, access, 1, seg["seg"], 48, seg.get("pasid_width", 0), 0, 0)
        maps = [(lo << 8, ((hi - lo + 1) << 8) - 1, lo << 8, smmu_at[base], 0) for lo, hi, base in seg["map"]]
        nodes.append(iort_node(2, length, 4, len(nodes), maps, 40, body))
    if rmr:
        ranges = b"".join(struct.pack("<QQI", base, size, 0) for base, size in rmr)
        nodes.append(iort_node(6, 28 + 20 * len(rmr), 3, len(nodes), [], 0,
                               struct.pack("<III", 0, len(rmr), 28) + ranges))
    table = bytearray(struct.pack("<4sIBB6s8sI4sIIII", b"IORT", at, 5, 0, b"SMMUCT", b"FIXTURE ", 1, b"SMCT", 1,
                                  len(nodes), 48, 0) + b"".join(nodes))
    assert len(table) == at
    table[9] = (-sum(table)) & 0xff
    return bytes(table)


def write_iort(tree, host):
    tree.write("sys/firmware/acpi/tables/IORT", iort_table(host))


# hw_info ----------------------------------------------------------------------
def device_answer(smmu, dev):
    """The per-device part of IOMMU_GET_HW_INFO through dev's cdev: the
    kernel's out_capabilities and out_max_pasid_log2 for that device.  A VF
    has no PASID capability of its own; the kernel uses its PF's."""
    f0, f1 = smmu.model["idr0"], smmu.model["idr1"]
    caps = 0x1 if f0.get("HTTU") == 2 and f0.get("COHACC") else 0          # dirty tracking
    pasid_model = dev.pf.model if dev.pf else dev.model
    pasid_bits = 0
    if "pasid" in pasid_model.get("ext", ()) and f1.get("SSIDSIZE"):
        width, exec_ok, priv_ok = pasid_model["pasid"]
        pasid_bits = min(width, f1["SSIDSIZE"])
        caps |= exec_ok << 1 | priv_ok << 2
    if not (f0.get("ATS") and "ats" in dev.model.get("ext", ())):
        caps |= 0x8                                                         # ATS not supported
    return {"out_capabilities": "0x%08x" % caps, "out_max_pasid_log2": pasid_bits}


def hwinfo_entry(smmu, dev):
    """What IOMMU_GET_HW_INFO returns when bound through dev's cdev."""
    model = smmu.model
    idr = [compose_idr("idr0", model["idr0"]), compose_idr("idr1", model["idr1"]), 0,
           compose_idr("idr3", model["idr3"]), 0, compose_idr("idr5", model["idr5"])]
    return dict({"smmu": smmu.name, "device": dev.bdf, "type": "arm-smmuv3", "flags": 0,
                 "idr": ["0x%08x" % r for r in idr], "iidr": "0x%08x" % model["iidr"],
                 "aidr": "0x%08x" % model["aidr"]}, **device_answer(smmu, dev))


def write_hwinfo(tree, host):
    """One record per SMMU that has a vfio cdev to ask through (the first in
    BDF order); SMMUs without one could not have been recorded.  The other
    devices with a cdev each add their own answer under "devices"."""
    entries, devices = [], []
    for smmu in host.smmus:
        asked = [d for d in smmu.devices if d.vfio_index is not None]
        if asked:
            entries.append(json.dumps(hwinfo_entry(smmu, asked[0])))
        for dev in asked[1:]:
            devices.append(json.dumps(dict({"device": dev.bdf}, **device_answer(smmu, dev))))
    text = '{"smmus": [\n  ' + ",\n  ".join(entries) + "\n]"
    if devices:
        text += ',\n "devices": [\n  ' + ",\n  ".join(devices) + "\n]"
    tree.write("hwinfo.json", text + "}\n")


# Damage -----------------------------------------------------------------------
def apply_damage(tree, host, ops):
    dirs = {d.bdf: d.dir for d in host.devices}
    expand = lambda p: re.sub(r"^@([^/]+)", lambda m: dirs[m.group(1)], p)
    for op, *args in ops:
        path = os.path.join(tree.root, expand(args[0])) if op != "iort_truncate" else None
        if op == "link":
            tree.link(expand(args[0]), expand(args[1]))
        elif op == "raw_link":
            tree.raw_link(expand(args[0]), args[1])
        elif op == "write":
            tree.write(expand(args[0]), args[1])
        elif op == "rmtree":
            shutil.rmtree(path)
        elif op == "remove":
            os.remove(path)
        elif op == "iort_truncate":
            declared, actual = args
            iort = os.path.join(tree.root, "sys/firmware/acpi/tables/IORT")
            with open(iort, "rb") as f:
                table = bytearray(f.read()[:actual])
            struct.pack_into("<I", table, 4, declared)
            table[9] = 0
            table[9] = (-sum(table)) & 0xff      # the bytes present still sum to 0
            tree.write("sys/firmware/acpi/tables/IORT", bytes(table))
        else:
            raise ValueError(op)


# ---------------------------------------------------------------------------
def write_host(outdir, name, desc):
    host = resolve(name, desc)
    root = os.path.join(outdir, name)
    if os.path.lexists(root):
        shutil.rmtree(root)
    tree = Tree(root)
    write_numa(tree, host)
    for smmu in host.smmus:
        write_smmu(tree, smmu)
    for dev in host.devices:
        write_pci_device(tree, host, dev)
    for number, members in sorted(host.groups.items()):
        write_iommu_group(tree, host, number, members)
    write_iort(tree, host)
    write_dev_nodes(tree, host)
    write_kernel(tree, host)
    if desc["hwinfo"]:
        write_hwinfo(tree, host)
    apply_damage(tree, host, desc.get("damage", ()))
    endpoints = sum(1 for d in host.devices if not d.bridge)
    print("%-16s %2d SMMUs %5d endpoints %4d bridges  %s" % (name, len(host.smmus), endpoints,
                                                           len(host.devices) - endpoints, desc["about"]))


def main():
    parser = argparse.ArgumentParser(description="Write synthetic smmuctl fixture hosts.")
    parser.add_argument("outdir")
    parser.add_argument("--only", metavar="NAME", choices=sorted(HOSTS), help="write only this host")
    parser.add_argument("--big", nargs=2, type=int, metavar=("NSMMU", "NDEV"),
                        help="write only the benchmark host big-NSMMU-NDEV")
    args = parser.parse_args()
    for name, model in SMMU_MODELS.items():
        composed = tuple(compose_idr(reg, model[reg]) for reg in ("idr0", "idr1", "idr3", "idr5"))
        if composed != IDR_VALUES[name]:
            sys.exit("gen-hosts: IDR_VALUES[%r] is stale, composed %s" % (name, ", ".join(map(hex, composed))))
    if args.big:
        nsmmu, ndev = args.big
        if nsmmu < 1 or ndev < 0:
            parser.error("--big needs NSMMU >= 1 and NDEV >= 0")
        hosts = {"big-%d-%d" % (nsmmu, ndev): big_host(nsmmu, ndev)}
    elif args.only:
        hosts = {args.only: HOSTS[args.only]}
    else:
        hosts = HOSTS
    os.makedirs(args.outdir, exist_ok=True)
    for name in sorted(hosts):
        write_host(args.outdir, name, hosts[name])


if __name__ == "__main__":
    main()
