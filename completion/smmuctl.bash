# bash completion for smmuctl(1)                                -*- shell-script -*-
#
# Completes verbs, every option of every verb, and the values that options and
# arguments take: PCI addresses from sysfs (under --root DIR when one is on the
# line), finding codes for `explain` (asked from the smmuctl being completed, so
# they are never stale), libvirt domain names for `validate --connect URI`
# (from `virsh -c URI list --all --name`), and files or directories.
# Self-contained: works with or without the bash-completion package loaded.
#
# The option tables below are checked against `smmuctl VERB --help` by
# tests/completion.sh: an option added to a verb fails that test until it is
# listed here.

# Global options (before the verb).
_smmuctl_global_opts='-h --help --version --root'

# Per verb: options that take no value, then options that take one.
_smmuctl_flags_probe='-h --help --json --hwinfo --tools --no-tools --check'
_smmuctl_valued_probe='--root --iort --hwinfo-json --qemu'
_smmuctl_flags_plan='-h --help --hwinfo --all-vfio --managed --managed-peers --no-numa --explain -q --quiet --quiet-warnings --json'
_smmuctl_valued_plan='--root --host --iort --hwinfo-json -d --device --vendor --base --name --memory
  --vcpus --layout --bus-headroom --target-qemu --target-libvirt --format -o --output --firmware
  --firmware-vars --nvram'
_smmuctl_flags_validate='-h --help --json --strict -q --quiet --live --qemu'
_smmuctl_valued_validate='-c --connect --target-qemu --target-libvirt --host --root --iort --hwinfo-json'
_smmuctl_flags_verify='-h --help --json --strict -q --quiet'
_smmuctl_valued_verify='--plan --root --iort'
_smmuctl_flags_explain='-h --help -l --list'
_smmuctl_valued_explain=''

# The value an option takes, by kind: file, dir, bdf, or a fixed word list.
_smmuctl_value_kind()
{
  case $1 in
    --root) echo dir ;;
    --iort | --hwinfo-json | --host | --base | -o | --output | --firmware | --firmware-vars | --nvram | --plan) echo file ;;
    --qemu) echo command ;;
    -d | --device) echo bdf ;;
    --layout) echo 'words:per-smmu per-device' ;;
    --format) echo 'words:xml qemu json' ;;
    --target-qemu | --target-libvirt) echo 'words:installed' ;;
    -c | --connect) echo 'words:qemu:///system qemu:///session test:///default' ;;
    *) echo none ;;
  esac
}

# The value of the last "OPT VALUE" or "OPT=VALUE" on the line before the cursor.
_smmuctl_option_value()
{
  local want=$1 i
  local -a w=("${COMP_WORDS[@]:0:COMP_CWORD}")
  for ((i = ${#w[@]} - 1; i > 0; i--)); do
    if [[ ${w[i - 1]} == "$want" && ${w[i]} != "=" ]]; then
      echo "${w[i]}"
      return
    fi
    if ((i >= 2)) && [[ ${w[i - 2]} == "$want" && ${w[i - 1]} == "=" ]]; then
      echo "${w[i]}"
      return
    fi
  done
}

_smmuctl_bdfs()
{
  local root
  root=$(_smmuctl_option_value --root)
  root=${root:-}
  local dir="${root%/}/sys/bus/pci/devices"
  [[ -d $dir ]] || return
  local d
  for d in "$dir"/*; do
    [[ -e $d || -L $d ]] && echo "${d##*/}"
  done
}

_smmuctl_finding_codes()
{
  # explain accepts a code (SMU201) or a name (accel-emulated-endpoint).
  "${COMP_WORDS[0]}" explain --list 2>/dev/null | awk 'NR > 1 && $1 ~ /^SMU[0-9]+$/ { print $1; print $3 }'
}

_smmuctl_domains()
{
  local uri
  uri=$(_smmuctl_option_value --connect)
  [[ -n $uri ]] || uri=$(_smmuctl_option_value -c)
  [[ -n $uri ]] || return
  command -v virsh >/dev/null 2>&1 || return
  virsh -q -c "$uri" list --all --name 2>/dev/null
}

_smmuctl_complete_value()
{
  local kind=$1 cur=$2
  case $kind in
    dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      ;;
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      ;;
    command)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -c -- "$cur"; compgen -f -- "$cur")
      ;;
    bdf)
      mapfile -t COMPREPLY < <(compgen -W "$(_smmuctl_bdfs)" -- "$cur")
      ;;
    words:*)
      mapfile -t COMPREPLY < <(compgen -W "${kind#words:}" -- "$cur")
      ;;
    *)
      COMPREPLY=()
      ;;
  esac
}

_smmuctl()
{
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()

  # "--opt=value" is split at '=' by COMP_WORDBREAKS: recover the option.
  if [[ $cur == "=" ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD >= 2)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi

  # Find the verb: the first word that is neither an option nor --root's value.
  local verb="" i=1
  while ((i < COMP_CWORD)); do
    local w=${COMP_WORDS[i]}
    case $w in
      --root)
        if [[ ${COMP_WORDS[i + 1]:-} == "=" ]]; then ((i += 3)); else ((i += 2)); fi
        continue
        ;;
      -*) ;;
      *)
        verb=$w
        break
        ;;
    esac
    ((i++))
  done

  if [[ -z $verb ]]; then
    if [[ $prev == --root ]]; then
      _smmuctl_complete_value dir "$cur"
    elif [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$_smmuctl_global_opts" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W 'probe plan validate verify explain' -- "$cur")
    fi
    return 0
  fi

  local flags valued
  case $verb in
    probe | plan | validate | verify | explain)
      flags=_smmuctl_flags_$verb
      valued=_smmuctl_valued_$verb
      flags=${!flags}
      valued=${!valued}
      ;;
    *) return 0 ;;
  esac

  # The value of an option that takes one.
  local opt
  for opt in $valued; do
    if [[ $prev == "$opt" ]]; then
      _smmuctl_complete_value "$(_smmuctl_value_kind "$opt")" "$cur"
      return 0
    fi
  done

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags $valued" -- "$cur")
    return 0
  fi

  # Positional arguments.
  case $verb in
    explain)
      mapfile -t COMPREPLY < <(compgen -W "$(_smmuctl_finding_codes)" -- "$cur")
      ;;
    validate)
      if [[ -n $(_smmuctl_option_value --connect)$(_smmuctl_option_value -c) ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_smmuctl_domains)" -- "$cur")
      else
        _smmuctl_complete_value file "$cur"
      fi
      ;;
  esac
  return 0
}

complete -F _smmuctl smmuctl
