# The built man page: renders without groff/man warnings, names every option
# of every verb's --help and every finding code of `smmuctl explain --list`,
# so the page fails this test the moment it goes stale.
. "$SRCDIR/tests/lib.sh"
: "${BUILDDIR:?}"
page=$BUILDDIR/man/smmuctl.1
[ -f "$page" ] && ok || { fail "$page not built"; finish; exit 1; }

groff -man -ww -z "$page" 2>"$WORK/groff-warnings"
[ ! -s "$WORK/groff-warnings" ] && ok || { fail "groff -man -ww warns on $page"; cat "$WORK/groff-warnings" >&2; }
MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >/dev/null 2>"$WORK/man-warnings"
[ ! -s "$WORK/man-warnings" ] && ok || { fail "man --warnings -l warns on $page"; cat "$WORK/man-warnings" >&2; }
expect_no_grep '@[A-Z]+@' "$page" "configure placeholders filled in"
expect_grep "smmuctl $("$SMMUCTL" --version | cut -d' ' -f2)" "$page" "page carries the binary's version"

# Plain text of the page, hyphens as typed.
groff -man -Tascii -P-cbou "$page" 2>/dev/null | sed 's/  */ /g' >"$WORK/page.txt"
expect_grep '^EXIT STATUS' "$WORK/page.txt" "EXIT STATUS section"

has_option() { grep -qE -- "(^|[^a-z-])$1([^a-z-]|$)" "$WORK/page.txt"; }
for verb in probe plan validate verify explain; do
  "$SMMUCTL" "$verb" --help >"$WORK/help"
  opts=$(grep -oE -- '^ +(-[a-zA-Z], )?--[a-z0-9-]+' "$WORK/help" | grep -oE -- '--?[a-zA-Z0-9-]+')
  [ -n "$opts" ] && ok || fail "$verb --help lists no options"
  for o in $opts; do
    has_option "$o" && ok || fail "man page does not mention '$o' of 'smmuctl $verb --help'"
  done
  grep -qE "^ *smmuctl $verb\$" "$WORK/page.txt" && ok || fail "man page has no section for '$verb'"
done
for o in $("$SMMUCTL" --help | grep -oE -- '(^|[ ,])--?[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u); do
  has_option "$o" && ok || fail "man page does not mention global option '$o'"
done

# Finding codes: the page's list equals the binary's.
"$SMMUCTL" explain --list | awk 'NR > 1 { printf "%s %s (%s)\n", $1, $3, $2 }' >"$WORK/codes"
[ "$(wc -l <"$WORK/codes")" -ge 20 ] && ok || fail "explain --list is short"
while read -r line; do
  grep -qxF " $line" "$WORK/page.txt" || grep -qxF "$line" "$WORK/page.txt" && ok ||
    fail "man page lacks finding '$line'"
done <"$WORK/codes"
grep -oE '^ *SMU[0-9]{3} ' "$WORK/page.txt" | tr -d ' ' | sort >"$WORK/page-codes"
awk '{ print $1 }' "$WORK/codes" | sort >"$WORK/bin-codes"
diff -u "$WORK/bin-codes" "$WORK/page-codes" >"$WORK/diff" && ok || { fail "codes in the man page differ from explain --list"; cat "$WORK/diff" >&2; }

finish
