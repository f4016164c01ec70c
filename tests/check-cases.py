#!/usr/bin/python3
"""The naming contract of validate cases, shared by validate-cli.sh (domain
XML) and validate-qemu.sh (QEMU command lines): smuNNN-* fires SMUNNN,
smuNNN-ok-* (a near miss) must not, valid-* has only info findings; every
document matches the JSON Schema and its exit status follows its severities.
  check-cases.py SCHEMA NAME=DOC…   (one Python for many documents: its
start-up, and jsonschema's, dominate) prints "ok" or "FAIL: why" per check."""
import json, re, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.validators.validator_for(schema)(schema)
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    doc = json.load(open(path))
    errors = [e.message for e in validator.iter_errors(doc)]
    print("ok" if not errors else "FAIL: %s does not match the schema: %s" % (name, errors[0]))
    codes = {f["code"] for i in doc["inputs"] for f in i["findings"]}
    m = re.match(r"smu(\d{3})-(ok-)?", name)
    if m:
        code = "SMU" + m.group(1)
        if m.group(2):
            print("FAIL: %s: a near miss, yet %s fired" % (name, code) if code in codes else "ok")
        else:
            print("ok" if code in codes else "FAIL: %s: %s did not fire (got %s)" % (name, code, sorted(codes)))
    elif name.startswith("valid-"):
        bad = [f["code"] for i in doc["inputs"] for f in i["findings"] if f["severity"] != "info"]
        print("FAIL: %s: %s" % (name, bad) if bad else "ok")
    else:
        print("FAIL: %s: case files are named smuNNN-*, smuNNN-ok-* or valid-*" % name)
    # The exit status follows the severities.
    want = 1 if doc["summary"]["counts"]["error"] else 0
    got = doc["summary"]["exit_status"]
    print("ok" if got == want else "FAIL: %s: exit status %d, wanted %d" % (name, got, want))
