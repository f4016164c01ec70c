#!/usr/bin/env python3
"""Write the small hostile inputs of tests/bad-input.sh (deterministic).

    tests/data/bad/make-bad.py tests/data/bad

iort/    raw ACPI IORT tables, each broken in one way (the name says how);
         valid.bin is the unbroken base they are all mutated from
xml/     domain XML that must become one SMU001 finding each
json/    `smmuctl probe --json` host documents with wrong types
hwinfo/  `--hwinfo-json` recordings with wrong types

Inputs too big to keep in git (40 MB XML, 100 MB sparse files, 10,000-level
nesting) are made by the test itself at run time.
"""
import json
import os
import struct
import sys

# ---- IORT ---------------------------------------------------------------------
# A minimal table shaped like the fixture hosts': ITS group, one SMMUv3 (one
# mapping for its own MSIs, to the ITS), one root complex (segment 0, RIDs
# 0x0-0xffff -> the SMMU).  Offsets: header 0x00, ITS 0x30, SMMU 0x48, RC 0xa0.
HDR = 48
ITS_AT, SMMU_AT, RC_AT = 0x30, 0x48, 0xa0


def node(kind, length, identifier, mappings, mappings_at, body):
    head = struct.pack("<BHBIII", kind, length, 4, identifier, len(mappings), mappings_at if mappings else 0)
    data = head + body + b"".join(struct.pack("<5I", *m) for m in mappings)
    assert len(data) == length, (kind, len(data), length)
    return data


def table(nodes, first=HDR, count=None, length=None):
    body = b"".join(nodes)
    total = HDR + len(body)
    head = struct.pack("<4sIBB6s8sI4sIIII", b"IORT", total if length is None else length, 5, 0, b"SMMUCT",
                       b"BADINPUT", 1, b"SMCT", 1, len(nodes) if count is None else count, first, 0)
    data = bytearray(head + body)
    data[9] = (-sum(data)) & 0xff
    return data


def its():
    return node(0, 24, 0, [], 0, struct.pack("<II", 1, 0))


def smmu(base=0x30000000):
    body = struct.pack("<QIIQIIIIIII", base, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return node(4, 88, 1, [(0, 0, 0x10000, ITS_AT, 1)], 68, body)


def root_complex(segment=0, target=SMMU_AT, identifier=2):
    body = struct.pack("<IBHBIIBHBI", 1, 0, 0, 0x7, 1, segment, 48, 0, 0, 0)
    return node(2, 60, identifier, [(0, 0xffff, 0, target, 0)], 40, body)


def patch(data, at, fmt, value):
    data = bytearray(data)
    struct.pack_into(fmt, data, at, value)
    return data


def iort_cases():
    valid = table([its(), smmu(), root_complex()])
    assert len(valid) == 220 and RC_AT == HDR + 24 + 88
    # The RC's mapping points at the RC itself: a one-node loop.
    self_loop = table([its(), smmu(), root_complex(target=RC_AT)])
    # Two root complexes mapping into each other (0xa0 -> 0xdc -> 0xa0).
    rc2_at = RC_AT + 60
    two_loop = table([its(), smmu(), root_complex(0, rc2_at), root_complex(1, RC_AT, 3)])
    rmr = node(6, 48, 4, [], 0, struct.pack("<III", 0, 0x7fffffff, 28) + struct.pack("<QQI", 0x1000, 0x1000, 0))
    return {
        "valid.bin": valid,
        "empty.bin": b"",
        "short-header.bin": valid[:30],
        "not-iort.bin": b"DSDT" + valid[4:],
        "length-past-end.bin": patch(valid, 4, "<I", 0x10000),
        "length-inside-header.bin": patch(valid, 4, "<I", 20),
        "first-node-in-header.bin": patch(valid, 40, "<I", 0x10),
        "first-node-past-end.bin": patch(valid, 40, "<I", 0x2000),
        "node-count-huge.bin": patch(valid, 36, "<I", 0xffffffff),
        "zero-length-node.bin": patch(valid, SMMU_AT + 1, "<H", 0),
        "node-length-past-end.bin": patch(valid, RC_AT + 1, "<H", 0xffff),
        "smmu-node-too-short.bin": patch(valid, SMMU_AT + 1, "<H", 20),
        "mappings-past-node.bin": patch(valid, RC_AT + 8, "<I", 0x10000000),
        "mappings-in-header.bin": patch(valid, RC_AT + 12, "<I", 4),
        "its-count-huge.bin": patch(valid, ITS_AT + 16, "<I", 0xffffffff),
        "rmr-ranges-past-node.bin": table([its(), smmu(), root_complex(), rmr]),
        "mapping-dangling.bin": patch(valid, RC_AT + 40 + 12, "<I", 0xdead0),
        "mapping-self-loop.bin": self_loop,
        "mapping-two-node-loop.bin": two_loop,
    }


# ---- domain XML ---------------------------------------------------------------
DOMAIN_TAIL = """  <name>{name}</name>
  <memory unit='KiB'>4194304</memory>
  <os><type arch='aarch64' machine='virt'>hvm</type></os>
  <features><acpi/></features>
  <devices/>
</domain>
"""

BOMB = """<?xml version="1.0"?>
<!DOCTYPE domain [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<domain type='kvm'>
  <description>&lol9;</description>
""" + DOMAIN_TAIL.format(name="bomb")

# A parameter entity cannot be refused by looking at general entities only.
PARAM_BOMB = """<?xml version="1.0"?>
<!DOCTYPE domain [
  <!ENTITY % p "<!ENTITY lol 'lolololololololololol'>">
  %p;
]>
<domain type='kvm'>
  <description>&lol;</description>
""" + DOMAIN_TAIL.format(name="param-bomb")

XXE = """<?xml version="1.0"?>
<!DOCTYPE domain [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<domain type='kvm'>
  <description>&secret;</description>
""" + DOMAIN_TAIL.format(name="xxe")

XXE_DTD = """<?xml version="1.0"?>
<!DOCTYPE domain SYSTEM "file:///etc/passwd">
<domain type='kvm'>
""" + DOMAIN_TAIL.format(name="xxe-dtd")

XXE_NETWORK = """<?xml version="1.0"?>
<!DOCTYPE domain SYSTEM "http://127.0.0.1:9/domain.dtd">
<domain type='kvm'>
""" + DOMAIN_TAIL.format(name="xxe-network")

XINCLUDE = """<?xml version="1.0"?>
<domain type='kvm' xmlns:xi='http://www.w3.org/2001/XInclude'>
  <description><xi:include href='file:///etc/passwd' parse='text'/></description>
""" + DOMAIN_TAIL.format(name="xinclude")

GOOD = """<domain type='kvm'>
""" + DOMAIN_TAIL.format(name="good")


def xml_cases():
    latin1 = ("<?xml version='1.0' encoding='UTF-8'?>\n<domain type='kvm'>\n" +
              DOMAIN_TAIL.format(name="caf\udce9")).encode("utf-8", "surrogateescape")
    assert b"caf\xe9" in latin1
    # A truncated multi-byte sequence in an attribute value.
    bad_attr = ("<domain type='kvm\udce2\udc82'>\n" + DOMAIN_TAIL.format(name="x")).encode("utf-8", "surrogateescape")
    # An element name of 100,000 characters.
    long_name = ("<domain type='kvm'>\n  <" + "n" * 100000 + "/>\n" + DOMAIN_TAIL.format(name="long")).encode()
    nul = ("<domain type='kvm'>\n" + DOMAIN_TAIL.format(name="a\0b")).encode()
    return {
        "bomb.xml": BOMB.encode(),
        "param-bomb.xml": PARAM_BOMB.encode(),
        "xxe.xml": XXE.encode(),
        "xxe-dtd.xml": XXE_DTD.encode(),
        "xxe-network.xml": XXE_NETWORK.encode(),
        "xinclude.xml": XINCLUDE.encode(),
        "non-utf8.xml": latin1,
        "non-utf8-attribute.xml": bad_attr,
        "long-element-name.xml": long_name,
        "nul-byte.xml": nul,
        "utf16-bom-lies.xml": b"\xff\xfe<\x00d\x00" + b"\x00\xd8" * 10,
        "good.xml": GOOD.encode(),
    }


# ---- host JSON and hw_info recordings ------------------------------------------
def json_cases():
    smmu = {"name": "smmu3.0x0000000016000000", "base": "0x16000000"}
    return {
        "host-not-object.json": [],
        "host-wrong-format.json": {"format": "smmuctl-plan", "format_version": 1},
        "host-smmus-string.json": {"format": "smmuctl-host", "format_version": 1, "smmus": "many"},
        "host-base-number.json": {"format": "smmuctl-host", "format_version": 1,
                                  "smmus": [dict(smmu, base=12345)]},
        "host-group-string.json": {"format": "smmuctl-host", "format_version": 1, "smmus": [smmu],
                                   "pci_devices": [{"bdf": "0000:01:00.0", "iommu_group": "twelve"}]},
        "host-version-huge.json": {"format": "smmuctl-host", "format_version": 1e300},
    }


def hwinfo_cases():
    idr = ["0x0"] * 6
    return {
        "hwinfo-not-object.json": "smmus",
        "hwinfo-idr-short.json": {"smmus": [{"smmu": "smmu3.0x0000000016000000", "type": "arm-smmuv3",
                                             "idr": ["0x1"]}]},
        "hwinfo-idr-number.json": {"smmus": [{"smmu": "smmu3.0x0000000016000000", "type": "arm-smmuv3",
                                              "flags": 0, "idr": [1, 2, 3, 4, 5, 6], "iidr": "0x0",
                                              "aidr": "0x0"}]},
        "hwinfo-pasid-string.json": {"smmus": [{"smmu": "smmu3.0x0000000016000000", "type": "arm-smmuv3",
                                                "flags": 0, "idr": idr, "iidr": "0x0", "aidr": "0x0",
                                                "out_capabilities": "0x0", "out_max_pasid_log2": "20"}]},
    }


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not isinstance(data, (bytes, bytearray)):
        data = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    with open(path, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make-bad.py OUTDIR")
    out = sys.argv[1]
    for name, data in iort_cases().items():
        write(os.path.join(out, "iort", name), data)
    for name, data in xml_cases().items():
        write(os.path.join(out, "xml", name), data)
    for name, data in json_cases().items():
        write(os.path.join(out, "json", name), data)
    for name, data in hwinfo_cases().items():
        write(os.path.join(out, "hwinfo", name), data)


if __name__ == "__main__":
    main()
