#!/usr/bin/python3
"""The real-stack oracle: what real libvirt and QEMU do with smmuctl's plans
and with every domain case under tests/, against what smmuctl says.

Runs inside `stack.sh run PROFILE` (STACK_ROOT set).  Usage:
  oracle.py current WORKDIR SMMUCTL   plans of every fixture host x layout x
                                      registers, and every domain case, on
                                      QEMU 11.1 / libvirt 12.9
  oracle.py trixie WORKDIR SMMUCTL    the version gates (SMU501) against
                                      QEMU 10.0 / libvirt 11.3

There is no KVM here, so libvirt refuses type='kvm' domains ("Unable to find
'efi' firmware..." / "does not support virt type 'kvm'"): each domain is
converted to a TCG copy (type='qemu', <cpu mode='maximum'>, no
gic-version=host) before define and domxml-to-native, and said so in the
table.  QEMU is started with -S; see qemuopts.py for what is replaced.

Prints a verdict table and exits 1 when smmuctl and the real stack disagree.
"""
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemuopts as Q  # noqa: E402

ROOT = os.environ["STACK_ROOT"]
PROFILE, WORK, SMMUCTL = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = os.path.join(SRC, "tests/data/hosts")
CASES = os.path.join(SRC, "tests/data/domains/cases")
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
ET.register_namespace("qemu", QEMU_NS)
OLD_TARGETS = ["--target-libvirt", "11.3.0", "--target-qemu", "10.0.0"]

# Claims an smmuctl message may make about a run-time refusal, and who refuses.
CLAIMS = [
    ("qemu", re.compile(r"QEMU (exits|refuses|fails to start|will not start|stops)", re.I)),
    ("libvirt", re.compile(r"(libvirt|virsh define) (refuses|rejects|fails)", re.I)),
]

failures = []


def fail(what):
    failures.append(what)


def run(cmd, timeout=180, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def one_line(text, limit=160):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def virsh(*args):
    return run(["chroot", ROOT, "virsh", "-q", "-c", "qemu:///system"] + list(args))


def libvirt_error(r):
    lines = [line for line in r.stderr.splitlines() if line.strip() and not line.startswith("error: Failed to")]
    return one_line(" ".join(re.sub(r"^error: ", "", line) for line in lines) or r.stderr)


def tcg_copy(path, name):
    """(path of a TCG copy of the domain named NAME, converted?) or (PATH, False)
    when it does not parse (then libvirt sees the original)."""
    try:
        tree = ET.parse(path)
    except ET.ParseError:
        return path, False
    dom = tree.getroot()
    converted = False
    if dom.tag == "domain":
        if dom.get("type") == "kvm":
            dom.set("type", "qemu")
            converted = True
        cpu = dom.find("cpu")
        if cpu is not None and cpu.get("mode") in ("host-passthrough", "host-model"):
            for attr in list(cpu.attrib):
                del cpu.attrib[attr]
            cpu.set("mode", "maximum")
            converted = True
        features = dom.find("features")
        if features is not None:
            for gic in features.findall("gic"):
                if gic.get("version") == "host":
                    features.remove(gic)
                    converted = True
        n = dom.find("name")
        if n is None:
            n = ET.SubElement(dom, "name")
        n.text = name
    out = os.path.join(WORK, name + ".tcg.xml")
    tree.write(out, encoding="unicode")
    return out, converted


def prepare_libvirt_paths(args):
    """Files libvirt's argv names that exist only once libvirt starts a VM:
    the master key, the NVRAM copy, the domain's private directory; and the
    disk images a domain case names (empty files: their content is not ours)."""
    for word in args:
        if word.startswith("{") and '"filename"' in word:
            path = json.loads(word).get("filename", "")
            if path.startswith("/") and not path.startswith("/var/lib/libvirt/qemu/") and not os.path.exists(ROOT + path):
                os.makedirs(os.path.dirname(ROOT + path), exist_ok=True)
                with open(ROOT + path, "wb") as f:
                    f.truncate(1 << 30)
        for path in re.findall(r"/var/lib/libvirt/qemu/[^\",]+", word):
            full = ROOT + path
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if path.endswith("master-key.aes") and not os.path.exists(full):
                with open(full, "wb") as f:
                    f.write(os.urandom(32))
            if "/nvram/" in path and not os.path.exists(full):
                code = re.search(r"/usr/share/AAVMF/AAVMF_CODE([.\w-]*)\.fd", " ".join(args))
                variant = code.group(1) if code else ""
                template = ROOT + "/usr/share/AAVMF/AAVMF_VARS%s.fd" % (variant if variant == ".ms" else "")
                shutil.copy(template, full)


def qemu_verdicts(qemu, args, accel, real_tcg, cwd=None):
    """Start ARGS as-is (accel kept) and stripped; say what QEMU did."""
    res = {}
    for mode in ("as-is", "stripped"):
        rewritten, _ = Q.rewrite(args, mode)
        r = qemu.run(rewritten, query=(mode == "stripped"), cwd=cwd)
        res[mode] = r
    asis, stripped = res["as-is"], res["stripped"]
    v = {"stripped_started": stripped["started"], "stripped": stripped,
         "asis_started": asis["started"], "asis_error": "" if asis["started"] else Q.first_error(asis["stderr"]),
         "stripped_error": "" if stripped["started"] else Q.first_error(stripped["stderr"])}
    # accel=on under TCG: QEMU's first refusal is the missing KVM; that is this
    # machine's doing unless the domain itself asked for TCG.
    v["kvm_only"] = (not asis["started"]) and Q.KVM_ONLY_MESSAGE in v["asis_error"]
    if not stripped["started"]:
        v["refusal"] = v["stripped_error"]
    elif not asis["started"] and not (v["kvm_only"] and not real_tcg):
        v["refusal"] = v["asis_error"]
    else:
        v["refusal"] = ""
    v["warnings"] = sorted({Q.first_error(line) for line in (asis.get("stderr", "") + "\n" + stripped.get("stderr", "")).splitlines()
                            if "warning" in line.lower()})
    return v


def smmuctl_validate(path, extra=()):
    r = run([SMMUCTL, "validate", "--json", *extra, path])
    try:
        doc = json.loads(r.stdout)
        findings = [f for d in doc.get("inputs", []) for f in (d.get("findings") or [])]
    except (ValueError, AttributeError):
        findings = []
    return r.returncode, findings


def codes(findings, severity=None):
    return sorted({f["code"] for f in findings if severity is None or f["severity"] == severity})


def watched(path):
    """What an older libvirt may drop at define, counted per kind."""
    try:
        dom = ET.parse(path).getroot()
    except (ET.ParseError, FileNotFoundError):
        return {}
    got = {}

    def add(k):
        got[k] = got.get(k, 0) + 1

    for drv in dom.findall("./devices/iommu/driver"):
        for a in drv.attrib:
            add("<iommu><driver %s=>" % a)
    for _ in dom.findall("./devices/iommu"):
        add("<iommu>")
    for _ in dom.findall("./devices/hostdev/driver[@iommufd]"):
        add("<hostdev><driver iommufd=>")
    for _ in dom.findall("./devices/controller/pcihole64"):
        add("<pcihole64>")
    for _ in dom.findall("./iommufd"):
        add("<iommufd>")
    for _ in dom.findall("./devices/controller[@model='pcie-expander-bus']"):
        add("pcie-expander-bus")
    return got


# ---------------------------------------------------------------- one case --

def libvirt_side(src, name):
    """Schema, define (TCG copy), dumpxml, domxml-to-native."""
    out = {"name": name}
    r = run(["chroot", ROOT, "virt-xml-validate", src, "domain"])
    out["schema_ok"] = r.returncode == 0
    out["schema_error"] = "" if out["schema_ok"] else one_line(
        [line for line in (r.stderr + r.stdout).splitlines() if "error" in line.lower()][:1][0]
        if "error" in (r.stderr + r.stdout).lower() else r.stderr + r.stdout)
    tcg, converted = tcg_copy(src, name)
    out["converted"] = converted
    out["tcg"] = tcg
    d = virsh("define", tcg)
    out["define_ok"] = d.returncode == 0
    out["define_error"] = "" if out["define_ok"] else libvirt_error(d)
    out["dumped"] = None
    if out["define_ok"]:
        dump = virsh("dumpxml", "--inactive", name)
        out["dumped"] = os.path.join(WORK, name + ".dumped.xml")
        with open(out["dumped"], "w") as f:
            f.write(dump.stdout)
        virsh("undefine", "--nvram", name)
    n = virsh("domxml-to-native", "qemu-argv", tcg)
    out["native_ok"] = n.returncode == 0
    out["native_error"] = "" if out["native_ok"] else libvirt_error(n)
    out["argv"] = None
    if out["native_ok"]:
        out["argv"] = Q.parse_argv(n.stdout)[1]
        with open(os.path.join(WORK, name + ".libvirt.argv"), "w") as f:
            f.write(n.stdout)
    return out


def domain_arch(path):
    """<os><type arch=…>; QEMU runs only aarch64 domains (the stack has no other)."""
    try:
        return ET.parse(path).getroot().find("./os/type").get("arch")
    except (ET.ParseError, AttributeError):
        return None


def accel_in(args):
    for opt, val in Q.pairs(args):
        if opt == "-device" and val and Q.Opt(val, "driver").props.get("driver") == "arm-smmuv3":
            if Q.onoff(Q.Opt(val, "driver").props.get("accel")) == "on":
                return True
    return False


def check_plan(qemu, case):
    """One planned VM: libvirt and QEMU must take all of it, and libvirt's argv
    must describe the same topology as smmuctl's own launch script."""
    name, xml, script, plan_json = case["name"], case["xml"], case["script"], case["json"]
    row = {"case": name, "kind": "plan"}
    lv = libvirt_side(xml, name)
    plan = json.load(open(plan_json))
    problems = []
    if not lv["schema_ok"]:
        problems.append("libvirt 12.9 schema: " + lv["schema_error"])
    if not lv["define_ok"]:
        problems.append("virsh define: " + lv["define_error"])
    else:
        before, after = watched(xml), watched(lv["dumped"])
        lost = {k: (v, after.get(k, 0)) for k, v in before.items() if after.get(k, 0) != v}
        if lost:
            problems.append("libvirt did not keep: " + ", ".join("%s (%d of %d)" % (k, b, a) for k, (a, b) in lost.items()))
        if "<memballoon" in open(lv["dumped"]).read() and "<memballoon" not in open(xml).read():
            problems.append("libvirt added a memballoon")
    if not lv["native_ok"]:
        problems.append("domxml-to-native: " + lv["native_error"])
    smmu_argv = Q.script_argv(script, os.path.dirname(script))
    accel = accel_in(smmu_argv)
    for who, args in (("libvirt's argv", lv["argv"]), ("smmuctl's script", smmu_argv)):
        if args is None:
            continue
        if who == "libvirt's argv":
            prepare_libvirt_paths(args)
        v = qemu_verdicts(qemu, args, accel, real_tcg=False, cwd=os.path.dirname(script))
        if accel and not v["kvm_only"]:
            problems.append("%s with accel=on: QEMU 11.1 %s, not only at \"%s\"" % (
                who, "started" if v["asis_started"] else "stopped at \"%s\"" % v["asis_error"], Q.KVM_ONLY_MESSAGE))
        if not accel and not v["asis_started"]:
            problems.append("%s: QEMU 11.1 refused: %s" % (who, v["asis_error"]))
        if not v["stripped_started"]:
            problems.append("%s, accel stripped: QEMU 11.1 refused: %s" % (who, v["stripped_error"]))
        else:
            for d in Q.plan_tree_differences(plan, v["stripped"]):
                problems.append("%s: %s" % (who, d))
        for w in v["warnings"]:
            problems.append("%s: QEMU 11.1 warned: %s" % (who, w))
    if lv["argv"] is not None:
        for d in Q.compare_topologies(Q.topology(lv["argv"]), Q.topology(smmu_argv), "libvirt", "smmuctl"):
            problems.append("libvirt's argv and smmuctl's script differ: " + d)
    status, findings = smmuctl_validate(xml)
    if status != 0:
        problems.append("smmuctl validate of its own plan: exit %d %s" % (status, codes(findings, "error")))
    row.update(smmuctl="plan exit 0, validate exit %d" % status, schema="ok" if lv["schema_ok"] else "FAIL",
               define="ok" if lv["define_ok"] else "refused", native="ok" if lv["native_ok"] else "refused",
               qemu="stops only at KVM" if accel else "starts", problems=problems)
    for p in problems:
        fail("%s: %s" % (name, p))
    return row


def check_domain_case(qemu, path):
    """A domain case: what libvirt and QEMU do with it against smmuctl's verdict."""
    base = os.path.basename(path)[:-4]
    name = "case-" + base
    row = {"case": base, "kind": "case"}
    path = shutil.copy(path, os.path.join(WORK, base + ".xml"))  # where the chroot sees it
    status, findings = smmuctl_validate(path)
    errors = [f for f in findings if f["severity"] == "error"]
    lv = libvirt_side(path, name)
    real_tcg = False
    try:
        real_tcg = ET.parse(path).getroot().get("type") == "qemu"
    except ET.ParseError:
        pass
    qv = None
    if lv["native_ok"] and domain_arch(path) == "aarch64":
        prepare_libvirt_paths(lv["argv"])
        qv = qemu_verdicts(qemu, lv["argv"], accel_in(lv["argv"]), real_tcg)
    if not lv["define_ok"]:
        verdict = "refused at define: " + lv["define_error"]
    elif not lv["native_ok"]:
        verdict = "refused building the command line: " + lv["native_error"]
    elif qv is None:
        verdict = "accepted by libvirt (not started: the stack has QEMU for aarch64 only)"
    elif qv["refusal"]:
        verdict = "QEMU refused at start: " + qv["refusal"]
    elif qv["kvm_only"]:
        verdict = "accepted (accel: QEMU stops at the missing KVM here)"
    else:
        verdict = "accepted"
    static_refusal = not lv["define_ok"] or not lv["native_ok"] or bool(qv and qv["refusal"])
    problems = []
    if static_refusal and status != 1:
        problems.append("libvirt/QEMU refuse it (%s) but smmuctl exits %d without an error" % (verdict, status))
    if not static_refusal:
        for f in errors:
            for who, claim in CLAIMS:
                if not claim.search(f["message"]):
                    continue
                if who == "libvirt":
                    problems.append("%s says libvirt refuses, but libvirt 12.9 defines and converts it: %s"
                                    % (f["code"], one_line(f["message"], 120)))
                elif qv is not None and (not accel_in(lv["argv"]) or not f["code"].startswith("SMU2")):
                    # accel rules (SMU2xx) are out of sight without KVM; every
                    # other claim is tested by the run with accel stripped
                    problems.append("%s says QEMU refuses, but QEMU 11.1 starts it%s: %s"
                                    % (f["code"], " (accel stripped)" if accel_in(lv["argv"]) else "",
                                       one_line(f["message"], 120)))
    row.update(smmuctl="exit %d %s" % (status, " ".join(codes(findings)) or "-"),
               schema="ok" if lv["schema_ok"] else "invalid", converted=lv["converted"],
               verdict=verdict, warnings=qv["warnings"] if qv else [], problems=problems)
    for p in problems:
        fail("%s: %s" % (base, p))
    return row


def check_old_stack(qemu, name, path):
    """QEMU 10.0 / libvirt 11.3: smmuctl's SMU501 must match what they lose or refuse."""
    path = shutil.copy(path, os.path.join(WORK, "old-" + name + ".xml"))
    status, findings = smmuctl_validate(path, OLD_TARGETS)
    lv = libvirt_side(path, "old-" + name)
    lost = []
    if lv["define_ok"]:
        before, after = watched(path), watched(lv["dumped"])
        lost = ["%s (%d of %d kept)" % (k, after.get(k, 0), v) for k, v in sorted(before.items()) if after.get(k, 0) < v]
    qv = None
    if lv["native_ok"] and domain_arch(path) == "aarch64":
        prepare_libvirt_paths(lv["argv"])
        qv = qemu_verdicts(qemu, lv["argv"], accel_in(lv["argv"]), real_tcg=False)
    if not lv["define_ok"]:
        verdict = "libvirt 11.3 refuses: " + lv["define_error"]
    elif lost:
        verdict = "libvirt 11.3 drops " + ", ".join(lost)
    elif not lv["native_ok"]:
        verdict = "libvirt 11.3 cannot build the command line: " + lv["native_error"]
    elif qv and qv["refusal"]:
        verdict = "QEMU 10.0 refuses: " + qv["refusal"]
    else:
        verdict = "accepted"
    gated = "SMU501" in codes(findings, "error")
    problems = []
    broken = verdict != "accepted"
    if broken and status != 1:
        problems.append("%s, but smmuctl with targets libvirt 11.3 / QEMU 10.0 exits %d" % (verdict, status))
    if lost and not gated:
        problems.append("libvirt 11.3 drops %s, but smmuctl reports no SMU501" % ", ".join(lost))
    if gated and not broken:
        problems.append("smmuctl reports SMU501, but libvirt 11.3 and QEMU 10.0 take it whole")
    for p in problems:
        fail("%s (old stack): %s" % (name, p))
    return {"case": name, "kind": "old", "smmuctl": "exit %d %s" % (status, " ".join(codes(findings)) or "-"),
            "verdict": verdict, "problems": problems}


# ------------------------------------------------------------------ cases --

def plan_formats(name, args):
    """Plan NAME in all three formats: (files, None) or (None, why plan refused)."""
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    outs = {}
    for fmt, fn in (("xml", "plan.xml"), ("qemu", "run.sh"), ("json", "plan.json")):
        r = run(args + ["--format", fmt, "-o", os.path.join(d, fn)])
        if r.returncode != 0:
            return None, r
        outs[fmt] = os.path.join(d, fn)
    return {"name": name, "xml": outs["xml"], "script": outs["qemu"], "json": outs["json"]}, None


def fixture_plans():
    """Every fixture host x layout x (with, without recorded registers): the
    plan in all three formats, or why plan refused.  Where plan refuses
    --all-vfio but names the devices that do plan (an SMMU that cannot nest),
    those are planned too, as NAME-selected."""
    plans, refused = [], []
    for host in sorted(os.listdir(HOSTS)):
        root = os.path.join(HOSTS, host)
        if not os.path.isdir(root) or host.startswith("broken"):
            continue
        hw = os.path.join(root, "hwinfo.json")
        for layout in ("per-smmu", "per-device"):
            for regs in ([True, False] if os.path.exists(hw) else [False]):
                name = "%s-%s%s" % (host, layout, "-regs" if regs else "")
                args = [SMMUCTL, "plan", "--root", root, "--layout", layout, "-q",
                        "--target-qemu", "11.1", "--target-libvirt", "12.9"] + (["--hwinfo-json", hw] if regs else [])
                plan, r = plan_formats(name, args + ["--all-vfio", "--name", name])
                if plan is not None:
                    plans.append(plan)
                    continue
                refused.append({"case": name, "kind": "plan", "smmuctl": "plan exit %d" % r.returncode,
                                "verdict": one_line(r.stderr.splitlines()[-1] if r.stderr.strip() else "", 200),
                                "problems": []})
                m = re.search(r"select them: ((?:--device \S+ ?)+)", r.stderr)
                if m:
                    name += "-selected"
                    plan, r = plan_formats(name, args + m.group(1).split() + ["--name", name])
                    if plan is not None:
                        plans.append(plan)
                    else:
                        fail("%s: plan refuses the devices it suggested: %s" % (name, one_line(r.stderr, 200)))
    return plans, refused


def table(rows, columns):
    out = ["| " + " | ".join(c for c, _ in columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(str(r.get(k, "")).replace("|", "\\|") for _, k in columns) + " |")
    return "\n".join(out)


def main():
    os.makedirs(WORK, exist_ok=True)
    qemu = Q.Qemu(ROOT, WORK)
    ver = run(["chroot", ROOT, "qemu-system-aarch64", "--version"]).stdout.splitlines()[0]
    lver = virsh("version").stdout
    lver = re.search(r"Using library: libvirt ([\d.]+)", lver).group(1)
    print("real stack '%s': %s; libvirt %s" % (PROFILE, ver, lver))
    print("no KVM here: type='kvm' domains are checked as TCG copies (type='qemu', cpu mode='maximum', "
          "no gic-version=host); vfio-pci is replaced by %s, accel=on must stop at the missing KVM" % Q.STANDIN)
    plans, refused = fixture_plans()
    cases = sorted(glob.glob(os.path.join(CASES, "*.xml")))
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        if PROFILE == "current":
            futs = [(pool.submit(check_plan, qemu, p), p["name"]) for p in plans]
            futs += [(pool.submit(check_domain_case, qemu, c), c) for c in cases]
        else:
            futs = [(pool.submit(check_old_stack, qemu, p["name"], p["xml"]), p["name"]) for p in plans]
            futs += [(pool.submit(check_old_stack, qemu, os.path.basename(c)[:-4], c), c) for c in cases]
        for f, what in futs:
            try:
                rows.append(f.result())
            except Exception as e:  # a harness error is a failure, not a crash
                fail("%s: harness error %r" % (what, e))
    rows = refused + rows
    for r in rows:
        r["agrees"] = "no: " + "; ".join(r["problems"]) if r.get("problems") else "yes"
    if PROFILE == "current":
        print("\n## Plans of every fixture host on QEMU 11.1 / libvirt 12.9\n")
        print(table([r for r in rows if r["kind"] == "plan"],
                    [("plan", "case"), ("smmuctl", "smmuctl"), ("schema", "schema"), ("define", "define"),
                     ("domxml-to-native", "native"), ("QEMU 11.1", "qemu"), ("agrees", "agrees")]))
        for r in (r for r in rows if r["kind"] == "plan" and "verdict" in r):
            print("  %s refused by smmuctl plan: %s" % (r["case"], r["verdict"]))
        print("\n## Domain cases: libvirt 12.9 / QEMU 11.1 against smmuctl validate\n")
        print(table([r for r in rows if r["kind"] == "case"],
                    [("case", "case"), ("smmuctl", "smmuctl"), ("RNG", "schema"), ("libvirt + QEMU", "verdict"),
                     ("agrees", "agrees")]))
        warned = [(r["case"], w) for r in rows if r["kind"] == "case" for w in r.get("warnings", [])]
        if warned:
            print("\nQEMU warnings on domain cases:")
            for c, w in warned:
                print("  %s: %s" % (c, w))
    else:
        print("\n## Version gates: smmuctl --target-libvirt 11.3 --target-qemu 10.0 against the real ones\n")
        print(table(rows, [("case", "case"), ("smmuctl", "smmuctl"), ("libvirt 11.3 + QEMU 10.0", "verdict"),
                           ("agrees", "agrees")]))
    print()
    if failures:
        print("%d disagreement(s):" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    print("smmuctl and the real stack agree on %d case(s)" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
