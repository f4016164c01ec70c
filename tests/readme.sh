# README.md stays true: the two Quick-start commands, the finding-code table
# (equal to `smmuctl explain --list`), the version table (equal to
# src/versions.c), and every verb example runs with the exit status shown.
# SMMUCTL_REGENERATE=1 rewrites the two generated tables in place.
. "$SRCDIR/tests/lib.sh"
README=$SRCDIR/README.md

grep -qxE '\./bootstrap example +# .*' "$README" && ok || fail "README lacks the Quick-start line './bootstrap example'"
grep -qxE '\./bootstrap test +# .*' "$README" && ok || fail "README lacks the Quick-start line './bootstrap test'"

"$SMMUCTL" explain --list >"$WORK/list"
/usr/bin/python3 - "$README" "$WORK/list" "$SRCDIR/src/versions.c" "${SMMUCTL_REGENERATE:-}" <<'PY' 2>"$WORK/py-err" && ok || { fail "README tables"; cat "$WORK/py-err" >&2; }
import re, sys
readme_path, list_path, versions_path, regenerate = sys.argv[1:5]
readme = open(readme_path, encoding="utf-8").read()

def code_span(text):
    # Runs of XML tags become one code span, so Markdown shows them.
    return re.sub(r"(<[^<>]*>)+", lambda m: "`" + m.group(0) + "`", text).replace("|", "\\|")

rows = ["| code | name | severity | fires when |", "|---|---|---|---|"]
for line in open(list_path, encoding="utf-8").read().splitlines()[1:]:
    m = re.fullmatch(r"(SMU\d{3})\s+(\w+)\s+(\S+)\s+(.*)", line)
    if not m:
        sys.exit(f"explain --list: cannot read line {line!r}")
    code, severity, name, when = m.groups()
    rows.append(f"| {code} | {name} | {severity} | {code_span(when)} |")
codes_table = "\n".join(rows)

src = open(versions_path, encoding="utf-8").read()
rows = ["| feature | needs | what | checked |", "|---|---|---|---|"]
literal = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'  # C string literals, concatenated
entries = re.findall(r'\{\s*FEAT_\w+,\s*SW_(QEMU|LIBVIRT),\s*"([\w.]+)",\s*\{\s*(\d+),\s*(\d+),\s*(\d+)\s*\},\s*'
                     + literal + r',\s*' + literal + r',', src)
if len(entries) < 8:
    sys.exit(f"src/versions.c: found {len(entries)} features, the table format changed?")
def c_text(literals):
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', literals)).replace('\\"', '"')
for kind, key, major, minor, micro, what, checked in entries:
    sw = "QEMU" if kind == "QEMU" else "libvirt"
    since = "no release" if major == "0" else f"{major}.{minor}" + (f".{micro}" if micro != "0" else "")
    rows.append(f"| `{key}` | {sw} {since} | {code_span(c_text(what))} | {code_span(c_text(checked))} |")
versions_table = "\n".join(rows)

def section(text, marker, table):
    m = re.search(rf"(<!-- {marker}:[^\n]*-->\n)(.*?)(\n<!-- /{marker} -->)", text, re.S)
    if not m:
        sys.exit(f"README has no <!-- {marker}: … --> … <!-- /{marker} --> block")
    return m, text[:m.start(2)] + table + text[m.end(2):]

for marker, table in (("finding-codes", codes_table), ("versions", versions_table)):
    m, updated = section(readme, marker, table)
    if regenerate == "1":
        readme = updated
    elif m.group(2) != table:
        import difflib
        diff = "\n".join(difflib.unified_diff(m.group(2).splitlines(), table.splitlines(), "README.md", "generated", lineterm=""))
        sys.exit(f"README's {marker} table is stale (SMMUCTL_REGENERATE=1 meson test readme rewrites it):\n{diff}")
if regenerate == "1":
    open(readme_path, "w", encoding="utf-8").write(readme)
PY

# Every verb has an example, and every example runs with the status shown.
# They run in a scratch directory that sees the checkout's tests/ (plan -o
# writes there, not into the checkout).
sed -n '/^<!-- verb-examples/,/^<!-- \/verb-examples/p' "$README" | grep '^\$ smmuctl ' >"$WORK/examples"
for verb in $("$SMMUCTL" --help | sed -n '/^Verbs:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
  grep -q "^\$ smmuctl $verb " "$WORK/examples" && ok || fail "README has no example of 'smmuctl $verb'"
done
mkdir -p "$WORK/run" && ln -s "$SRCDIR/tests" "$WORK/run/tests"
while IFS= read -r line; do
  want=0
  [[ $line =~ \#\ exit\ status\ ([0-9]) ]] && want=${BASH_REMATCH[1]}
  cmd=${line#\$ smmuctl }
  cmd=${cmd%%#*}
  read -r -a args <<<"$cmd"
  (cd "$WORK/run" && "$SMMUCTL" "${args[@]}") >"$WORK/out" 2>"$WORK/err"
  got=$?
  [ "$got" -eq "$want" ] && ok || { fail "README example exits $got, README says $want: $line"; head -5 "$WORK/err" >&2; }
done <"$WORK/examples"

# Kernel, QEMU and libvirt requirements are stated.
expect_grep 'Linux 6\.6' "$README" "README names the kernel needed for vfio cdev"
expect_grep 'sudo smmuctl probe --hwinfo --json > host.json' "$README" "README says how to record a host"

finish
