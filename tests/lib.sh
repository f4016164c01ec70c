# Shared helpers for the CLI tests (sourced).  Each test counts its checks and
# fails loudly; golden files are rewritten when SMMUCTL_REGENERATE=1.
set -uo pipefail
: "${SMMUCTL:?} ${SRCDIR:?}"
cd "$SRCDIR"
PASSED=0
FAILED=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ok()   { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }

# expect_status WANT DESCRIPTION -- command…   (stdout → $WORK/out, stderr → $WORK/err)
expect_status() {
  local want=$1 what=$2; shift 3
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok; else fail "$what: exit $got, wanted $want"; sed 's/^/  | /' "$WORK/err" >&2; fi
}

# expect_grep PATTERN FILE DESCRIPTION
expect_grep() {
  if grep -qE -- "$1" "$2"; then ok; else fail "$3: /$1/ not in $2"; sed 's/^/  | /' "$2" | head -20 >&2; fi
}
expect_no_grep() {
  if grep -qE -- "$1" "$2"; then fail "$3: /$1/ unexpectedly in $2"; else ok; fi
}

# golden ACTUAL EXPECTED_PATH — file owners and modes of a checkout vary with
# the user and umask, so they are masked before comparing.
golden() {
  sed -i -E -e 's/"(uid|gid)": [0-9]+/"\1": 0/' -e 's/"mode": "0[0-7]+"/"mode": "0000"/' \
    -e 's/mode [0-7]{4} uid [0-9]+ gid [0-9]+/mode 0000 uid 0 gid 0/' "$1"
  if [ "${SMMUCTL_REGENERATE:-}" = 1 ]; then
    mkdir -p "$(dirname "$2")"; cp "$1" "$2"; ok; return
  fi
  if diff -u "$2" "$1" >"$WORK/diff"; then ok; else fail "output differs from $2 (SMMUCTL_REGENERATE=1 rewrites it)"; head -40 "$WORK/diff" >&2; fi
}

# json_schema DOCUMENT SCHEMA
json_schema() {
  if /usr/bin/python3 - "$1" "$2" <<'PY' 2>"$WORK/schema-err"; then ok; else fail "$1 does not match $2"; cat "$WORK/schema-err" >&2; fi
import json, sys, jsonschema
doc = json.load(open(sys.argv[1])); schema = json.load(open(sys.argv[2]))
jsonschema.validators.validator_for(schema)(schema).validate(doc)
PY
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
