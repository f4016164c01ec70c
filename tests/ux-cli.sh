# What every user sees at the terminal: one-line usage errors that point at
# --help, nearest-verb suggestions, one line per option in every verb's
# --help, colour only on a terminal without NO_COLOR, --json free of colour and
# parseable with fixed identifier keys, and --version.
. "$SRCDIR/tests/lib.sh"
unset NO_COLOR
H=tests/data/hosts/gb200
HW=(--hwinfo-json $H/hwinfo.json)
BAD=tests/data/domains/cases/smu201-virtio-below-accel.xml
ESC=$'\033'

# usage_error DESCRIPTION -- ARGS…: exit 2, nothing on stdout, one line on
# stderr that starts with "smmuctl: " and points at --help (or --list).
usage_error() {
  local what=$1; shift 2
  expect_status 2 "$what" -- "$SMMUCTL" "$@"
  [ "$(wc -l <"$WORK/err")" -eq 1 ] && ok || { fail "$what: stderr is not one line"; head -5 "$WORK/err" >&2; }
  [ ! -s "$WORK/out" ] && ok || fail "$what: printed to stdout"
  expect_grep '^smmuctl: ' "$WORK/err" "$what: message names the program"
  expect_grep 'smmuctl( [a-z]+)? --help|explain --list' "$WORK/err" "$what: points at --help"
  expect_no_grep 'Usage:|Application Options' "$WORK/err" "$what: no full help"
}
usage_error "no verb" --
usage_error "unknown global option" -- --bogus
usage_error "unknown verb" -- frobnicate
for verb in probe plan validate verify explain; do
  usage_error "$verb: unknown option" -- "$verb" --bogus
done
usage_error "probe: stray argument" -- probe extra
usage_error "plan: bad --format" -- plan --root $H --all-vfio --format=yaml
usage_error "plan: bad --layout" -- plan --root $H --all-vfio --layout=sideways
usage_error "validate: no FILE" -- validate
usage_error "verify: no --plan" -- verify
usage_error "explain: no CODE" -- explain
usage_error "explain: unknown code" -- explain SMU999
usage_error "probe: option without its value" -- probe --root
# issue 13 §3: a global --root without its value is not an "unknown global
# option"; contradictions and repeats are refused, not silently resolved
usage_error "global --root without its value" -- --root
expect_grep "^smmuctl: --root needs a directory" "$WORK/err" "says what --root needs"
usage_error "global --root empty" -- --root= probe
usage_error "global --root twice" -- --root $H --root $H probe
usage_error "--root before and after the verb" -- --root $H probe --root $H
expect_grep "given before the verb .* and after it" "$WORK/err" "names both --root"
usage_error "probe: --tools --no-tools" -- probe --root $H --tools --no-tools
expect_grep "probe: --tools and --no-tools contradict each other" "$WORK/err" "names both options"
usage_error "probe: --hwinfo with a recording" -- probe --root $H --hwinfo --hwinfo-json $H/hwinfo.json
usage_error "validate: --root twice" -- validate --root $H --root=$H $BAD
usage_error "validate: two FILE -" -- validate - -
expect_grep "validate: FILE - is given twice, but standard input can be read once" "$WORK/err" "reads stdin once"
usage_error "validate: --host - and FILE -" -- validate --host - -
expect_grep "validate: --host - and FILE - cannot both read standard input" "$WORK/err" "names both readers"

# Mistyped verbs get the nearest one.
for pair in valdate:validate prbe:probe plna:plan expalin:explain verfy:verify; do
  expect_status 2 "verb ${pair%%:*}" -- "$SMMUCTL" "${pair%%:*}" x.xml
  expect_grep "unknown verb '${pair%%:*}' \(did you mean '${pair##*:}'\?\)" "$WORK/err" "suggests ${pair##*:}"
done
expect_status 2 "far-off verb" -- "$SMMUCTL" xyzzyplugh
expect_no_grep 'did you mean' "$WORK/err" "no suggestion for a far-off verb"

# --help: exit 0 on stdout; every option of every verb on one line of its own.
expect_status 0 "smmuctl --help" -- "$SMMUCTL" --help
for verb in probe plan validate verify explain; do
  expect_grep "^  $verb " "$WORK/out" "smmuctl --help lists $verb"
done
for verb in probe plan validate verify explain; do
  expect_status 0 "$verb --help" -- "$SMMUCTL" "$verb" --help
  [ ! -s "$WORK/err" ] && ok || fail "$verb --help wrote to stderr"
  # The option block runs from "Application Options:" to the next blank line.
  sed -n '/^Application Options:/,/^$/p' "$WORK/out" | sed '1d;/^$/d' >"$WORK/opts"
  [ "$(wc -l <"$WORK/opts")" -ge 1 ] && ok || fail "$verb --help: no options"
  if grep -vE '^  (-[a-zA-Z], )?--[a-z0-9-]+(=[][A-Z0-9.:]+)? {2,}[^ ]' "$WORK/opts" >"$WORK/bad"; then
    fail "$verb --help: option lines that are not 'OPTION  Description' on one line:"; cat "$WORK/bad" >&2
  else ok; fi
  awk '{ if (length($0) > 160) exit 1 }' "$WORK/opts" && ok || fail "$verb --help: an option line is over 160 columns"
done

# Colour: never when stdout is not a terminal, never with NO_COLOR, and yes on
# a terminal (under script(1)'s pty) so that the two checks above can fail.
on_tty() { script -qec "$(printf '%q ' "$@")" /dev/null; }
command -v script >/dev/null && ok || fail "script(1) (bsdutils) is needed for the terminal checks"
"$SMMUCTL" probe --root $H "${HW[@]}" >"$WORK/probe.txt" 2>&1
"$SMMUCTL" validate $BAD >"$WORK/validate.txt" 2>&1
for f in probe validate; do
  expect_no_grep "$ESC" "$WORK/$f.txt" "$f to a pipe has no escape sequences"
done
on_tty "$SMMUCTL" probe --root $H "${HW[@]}" >"$WORK/probe.tty" 2>&1
on_tty "$SMMUCTL" validate $BAD >"$WORK/validate.tty" 2>&1
for f in probe validate; do
  expect_grep "$ESC\[" "$WORK/$f.tty" "$f on a terminal is coloured"
done
NO_COLOR=1 on_tty "$SMMUCTL" probe --root $H "${HW[@]}" >"$WORK/probe.nc" 2>&1
NO_COLOR=1 on_tty "$SMMUCTL" validate $BAD >"$WORK/validate.nc" 2>&1
for f in probe validate; do
  expect_no_grep "$ESC" "$WORK/$f.nc" "$f on a terminal with NO_COLOR has no escape sequences"
done

# --json: on a terminal too, no escapes, one JSON document, keys identifiers.
json_ok() { # DESCRIPTION FILE (stdout only)
  expect_no_grep "$ESC" "$2" "$1: no escape sequences"
  if /usr/bin/python3 - "$2" <<'PY' 2>"$WORK/json-err"; then ok; else fail "$1"; cat "$WORK/json-err" >&2; fi
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read().replace("\r\n", "\n")
doc = json.loads(text)
bad = []
def walk(node, path):
    if isinstance(node, dict):
        for k, v in node.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", k):
                bad.append(f"{path}/{k}")
            walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{path}/{i}")
walk(doc, "")
if bad:
    sys.exit("keys that are not fixed identifiers: " + ", ".join(bad[:10]))
PY
}
on_tty "$SMMUCTL" probe --json --root $H "${HW[@]}" 2>/dev/null >"$WORK/probe.json"
json_ok "probe --json on a terminal" "$WORK/probe.json"
on_tty "$SMMUCTL" plan --root $H "${HW[@]}" --vendor 10de --format json -q 2>/dev/null >"$WORK/plan.json"
json_ok "plan --format json on a terminal" "$WORK/plan.json"
on_tty "$SMMUCTL" validate --json $BAD 2>/dev/null >"$WORK/validate.json"
json_ok "validate --json on a terminal" "$WORK/validate.json"
# The terminal run and the pipe run print the same document.
"$SMMUCTL" validate --json $BAD >"$WORK/validate.pipe.json" 2>/dev/null
tr -d '\r' <"$WORK/validate.json" | cmp -s - "$WORK/validate.pipe.json" && ok || fail "validate --json differs on a terminal"
# Errors under --json stay one line on stderr, stdout stays empty.
expect_status 2 "validate --json unreadable" -- "$SMMUCTL" validate --json --bogus
[ ! -s "$WORK/out" ] && ok || fail "a usage error under --json wrote to stdout"

# --version: the project version, one line, exit 0.
expect_status 0 "--version" -- "$SMMUCTL" --version
want=$(sed -nE 's/^#define SMMUCTL_VERSION "(.*)"$/\1/p' "${BUILDDIR:?}/version.h")
[ -n "$want" ] && [ "$(cat "$WORK/out")" = "smmuctl $want" ] && ok || fail "--version prints '$(cat "$WORK/out")', wanted 'smmuctl $want'"

finish
