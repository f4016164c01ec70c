# The bash completion: its option tables equal every verb's --help, and a few
# real completions (verbs, options, BDFs under --root, finding codes, libvirt
# domains under --connect, files) come out as a user would see them.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/completion/smmuctl.bash"

# complete WORD… — the last word is the one being completed ("" for a new one).
# Words are given as bash splits them: "--root=DIR" arrives as "--root" "=" "DIR".
complete_line() {
  COMP_WORDS=("$SMMUCTL" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _smmuctl
  printf '%s\n' "${COMPREPLY[@]}" | sort >"$WORK/reply"
}
# expect_reply WANTED… — COMPREPLY holds exactly these words.
expect_reply() {
  local what=$1; shift
  printf '%s\n' "$@" | sort >"$WORK/want"
  if diff -u "$WORK/want" "$WORK/reply" >"$WORK/diff"; then ok; else fail "$what"; cat "$WORK/diff" >&2; fi
}
expect_in_reply() {
  if grep -qxF -- "$2" "$WORK/reply"; then ok; else fail "$1: '$2' not offered"; head "$WORK/reply" >&2; fi
}

# Options in each verb's --help vs the completion's tables.
help_options() { # VERB → one option per line; valued ones end in '='
  "$SMMUCTL" "$1" --help | sed -nE 's/^  +((-[a-zA-Z]), )?(--[a-z0-9-]+)(=[^ ]+)?  .*/\2 \3\4/p' |
    while read -r a b; do
      if [ -n "$b" ]; then
        case $b in *=*) echo "$a="; echo "${b%%=*}=" ;; *) echo "$a"; echo "$b" ;; esac
      else
        case $a in *=*) echo "${a%%=*}=" ;; *) echo "$a" ;; esac
      fi
    done | sort -u
}
for verb in probe plan validate verify explain; do
  help_options "$verb" >"$WORK/help-$verb"
  [ -s "$WORK/help-$verb" ] && ok || fail "$verb --help lists no options"
  flags=_smmuctl_flags_$verb valued=_smmuctl_valued_$verb
  { for o in ${!flags}; do echo "$o"; done; for o in ${!valued}; do echo "$o="; done; } | sort -u >"$WORK/comp-$verb"
  if diff -u "$WORK/help-$verb" "$WORK/comp-$verb" >"$WORK/diff"; then ok
  else fail "completion/smmuctl.bash options of '$verb' differ from 'smmuctl $verb --help' (- help, + completion)"; cat "$WORK/diff" >&2; fi
done
# Global options from smmuctl --help.
"$SMMUCTL" --help | grep -oE -- '(^|[ ,])--?[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u >"$WORK/help-global"
for o in $_smmuctl_global_opts; do echo "$o"; done | sort -u >"$WORK/comp-global"
if diff -u "$WORK/help-global" "$WORK/comp-global" >"$WORK/diff"; then ok; else fail "global options differ from smmuctl --help"; cat "$WORK/diff" >&2; fi

complete_line ""
expect_reply "verbs" probe plan validate verify explain
complete_line va
expect_reply "verb prefix" validate
complete_line ve
expect_reply "verb prefix ve" verify
complete_line verify --plan tests/data/guests/kunpeng/pl
expect_reply "verify --plan FILE" tests/data/guests/kunpeng/plan.json
complete_line --
expect_reply "global options" --help --version --root
complete_line plan --dev
expect_reply "plan option prefix" --device
complete_line plan --format ""
expect_reply "plan --format values" xml qemu json
complete_line plan --layout per-
expect_reply "plan --layout values" per-smmu per-device
complete_line validate --
expect_reply "validate options" --help --json --strict --quiet --live --qemu --connect --target-qemu --target-libvirt --host --root --iort --hwinfo-json
# validate --qemu is a flag: the next word is a FILE (a command line), not probe's --qemu PATH.
complete_line validate --qemu tests/data/qemu/cases/valid-launch
expect_reply "validate --qemu FILE" tests/data/qemu/cases/valid-launch-script.argv

# BDFs from the tree named by --root, in every spelling.
complete_line plan --root tests/data/hosts/gb200 --device 0008:0
expect_reply "BDFs under plan --root" 0008:00:00.0 0008:01:00.0
complete_line --root tests/data/hosts/gb200 plan -d 0019:01
expect_reply "BDFs under global --root" 0019:01:00.0
complete_line plan --root = tests/data/hosts/split-group --device = 0000:01
expect_reply "BDFs with --opt=value" 0000:01:00.0 0000:01:00.1
complete_line plan --root tests/data/hosts/gb200 --device ""
[ "$(wc -l <"$WORK/reply")" -eq "$(ls tests/data/hosts/gb200/sys/bus/pci/devices | wc -l)" ] && ok ||
  fail "every BDF of gb200 offered"

# Finding codes and names come from the binary.
complete_line explain SMU30
"$SMMUCTL" explain --list | awk '$1 ~ /^SMU30/ { print $1 }' | sort >"$WORK/want"
[ -s "$WORK/want" ] && diff -q "$WORK/want" "$WORK/reply" >/dev/null && ok || fail "explain SMU30 offers the SMU30x codes"
complete_line explain accel-emu
expect_reply "explain by name" accel-emulated-endpoint
"$SMMUCTL" explain --list | awk 'NR > 1 { print $1 }' | sort >"$WORK/codes"
complete_line explain SMU
grep -x 'SMU[0-9]*' "$WORK/reply" >"$WORK/reply-codes"
diff -q "$WORK/codes" "$WORK/reply-codes" >/dev/null && ok || fail "explain offers every code of explain --list"

# Domains through libvirt's test driver.
if command -v virsh >/dev/null; then
  complete_line validate --connect test:///default ""
  expect_reply "domains via virsh" test
  complete_line validate -c "test://$SRCDIR/tests/data/libvirt-test-driver.xml" vm-g
  expect_reply "domains of the fixture driver" vm-good
else
  fail "virsh not installed (libvirt-clients): cannot test domain completion"
fi
# Without --connect, validate completes files.
complete_line validate tests/data/hosts/gb200/hw
expect_reply "validate FILE" tests/data/hosts/gb200/hwinfo.json
complete_line probe --hwinfo-json = tests/data/hosts/gb200/hw
expect_reply "--hwinfo-json=FILE" tests/data/hosts/gb200/hwinfo.json
complete_line probe --root tests/data/hosts/gb2
expect_reply "--root DIR" tests/data/hosts/gb200

finish
