#!/usr/bin/python3
"""Second opinion on a guest's IORT: ACPICA's `iasl -d` output against
`smmuctl verify --json` (which read the table with smmuctl's own parser).

    iort-compare.py IORT.dsl VERIFY.json

Both must name the same SMMUv3 nodes (by base address), and the SMMU that
verify gives each planned root complex must be the one whose node iasl
shows the root complex's ID mapping for that first bus pointing at.
Prints each disagreement; exit status 1 when there is one."""
import json
import re
import sys

FIELD = re.compile(r"^\[([0-9A-F]+)h [0-9]+ +[0-9A-F]+h\] +(.+?) : ([0-9A-F]+)\b")


def iasl_nodes(path):
    """offset -> {"type": n, fields…, "mappings": [{input, count, ref}]}"""
    nodes, node, mapping = {}, None, None
    for line in open(path, errors="replace"):
        m = FIELD.match(line.strip())
        if not m:
            continue
        offset, name, value = int(m.group(1), 16), m.group(2).strip(), int(m.group(3), 16)
        if name == "Type":
            node = nodes.setdefault(offset, {"type": value, "mappings": []})
        elif node is None:
            continue
        elif name == "Base Address":
            node["base"] = value
        elif name == "PCI Segment Number":
            node["segment"] = value
        elif name == "Input base":
            mapping = {"input": value}
            node["mappings"].append(mapping)
        elif name == "ID Count" and mapping is not None:
            mapping["count"] = value + 1  # the table stores the count minus one
        elif name == "Output Reference" and mapping is not None:
            mapping["ref"] = value
    return nodes


def main():
    nodes = iasl_nodes(sys.argv[1])
    verify = json.load(open(sys.argv[2]))
    errors = []
    name = lambda base: "smmu3.0x%016x" % base
    smmus = {o: name(n["base"]) for o, n in nodes.items() if n["type"] == 4 and "base" in n}
    if sorted(smmus.values()) != sorted(verify["guest"]["smmus"]):
        errors.append("SMMUv3 nodes: iasl %s, smmuctl %s" % (sorted(smmus.values()), verify["guest"]["smmus"]))
    for v in verify["vsmmus"]:
        rid = v["root_bus"] << 8
        found = None
        for n in nodes.values():
            if n["type"] == 2 and n.get("segment", 0) == 0:
                for m in n["mappings"]:
                    if m["input"] <= rid < m["input"] + m["count"]:
                        found = smmus.get(m.get("ref"))
        if found != v["guest_smmu"]:
            errors.append("%s (bus %d): iasl maps it to %s, smmuctl to %s" % (v["id"], v["root_bus"], found,
                                                                               v["guest_smmu"]))
    for e in errors:
        print("  " + e)
    print("iasl and smmuctl agree on %d SMMUv3 node(s) and %d root complex mapping(s)" % (len(smmus),
          len(verify["vsmmus"])) if not errors else "iasl and smmuctl disagree")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
