# `meson install` into a DESTDIR puts the binary, the man page, the bash
# completion and every JSON Schema where users and tools look for them, and
# the installed binary runs.
. "$SRCDIR/tests/lib.sh"
: "${BUILDDIR:?}"
dest=$WORK/dest
if meson install -C "$BUILDDIR" --no-rebuild --destdir "$dest" >"$WORK/install.log" 2>&1; then ok
else fail "meson install --destdir failed"; tail -20 "$WORK/install.log" >&2; finish; exit 1; fi

# Where meson put things, from the build's own configuration.
intro=$(meson introspect --buildoptions "$BUILDDIR")
opt() { /usr/bin/python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1" <<<"$intro"; }
prefix=$(opt prefix) bindir=$(opt bindir) datadir=$(opt datadir) mandir=$(opt mandir)
under() { case $1 in /*) echo "$dest$1" ;; *) echo "$dest$prefix/$1" ;; esac; }

bin=$(under "$bindir")/smmuctl
[ -x "$bin" ] && ok || fail "no executable $bin"
"$bin" --version >"$WORK/version" 2>&1 && ok || fail "installed smmuctl --version failed"
expect_grep '^smmuctl [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/version" "installed --version"
"$bin" explain SMU201 >"$WORK/explain" 2>&1 && ok || fail "installed smmuctl explain runs"

man1=$(under "$mandir")/man1/smmuctl.1
[ -s "$man1" ] && ok || fail "no man page $man1"
[ -s "$man1" ] && { groff -man -ww -z "$man1" 2>"$WORK/w"; [ ! -s "$WORK/w" ] && ok || fail "installed page warns"; }
# Through man(1)'s own search path, as a user would open it.
MANPATH=$(under "$mandir") MANWIDTH=80 man -E UTF-8 smmuctl 2>/dev/null >"$WORK/man.txt"
expect_grep 'FINDING CODES' "$WORK/man.txt" "man smmuctl finds the installed page"

comp=$(find "$dest" -path '*/bash-completion/completions/smmuctl' -type f)
[ -n "$comp" ] && ok || fail "no bash completion under */bash-completion/completions/smmuctl"
[ -n "$comp" ] && cmp -s "$comp" completion/smmuctl.bash && ok || fail "installed completion differs from the source"
[ -n "$comp" ] && bash -n "$comp" && ok || fail "installed completion does not parse"

schemas=$(under "$datadir")/smmuctl/schemas
n=0
for s in data/schemas/*.json; do
  n=$((n + 1))
  cmp -s "$s" "$schemas/${s##*/}" && ok || fail "schema ${s##*/} not installed in $schemas"
done
[ "$n" -ge 3 ] && ok || fail "fewer than 3 schemas in data/schemas"
# SMMUCTL_DATADIR, compiled into the binary, names the same place.
expect_grep "^#define SMMUCTL_DATADIR \"$prefix/$datadir/smmuctl\"$|^#define SMMUCTL_DATADIR \"$datadir/smmuctl\"$" "$BUILDDIR/version.h" "SMMUCTL_DATADIR is the install location"
# The man page names the installed schema directory.
expect_grep "$prefix/$datadir/smmuctl/schemas|$datadir/smmuctl/schemas" "$man1" "man page names the schema directory"

# Nothing is installed outside the prefix.
find "$dest" \( -type f -o -type l \) ! -path "$dest$prefix/*" >"$WORK/outside"
[ ! -s "$WORK/outside" ] && ok || { fail "files installed outside the prefix $prefix"; cat "$WORK/outside" >&2; }

finish
