#!/bin/sh
# install.sh: `make install` with PREFIX and DESTDIR puts the binary, the
# shim and the man page in place, the installed memlens finds its shim
# from wherever the tree lands, and `make uninstall` removes them again.
set -u
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
dest=$(mktemp -d); trap 'rm -rf "$dest"' EXIT
make -s install PREFIX=/opt/memlens DESTDIR="$dest" >/dev/null 2>&1 || bad "make install failed"
root="$dest/opt/memlens"
for f in bin/memlens lib/memlens/libmemlens-shim.so share/man/man1/memlens.1; do
  [ -f "$root/$f" ] && ok "installed $f" || bad "missing $f"
done
out=$(cd / && "$root/bin/memlens" trace -q "$OLDPWD/samples/leak" 2>&1 >/dev/null)
echo "$out" | grep -q 'leaks at exit: 3 blocks' && ok "installed memlens traces a sample with its shim" ||
  bad "installed memlens did not trace: $out"
make -s uninstall PREFIX=/opt/memlens DESTDIR="$dest" >/dev/null 2>&1
left=$(find "$dest" -type f | wc -l)
[ "$left" -eq 0 ] && ok "make uninstall removes every file" || bad "$left files left after uninstall"
echo "$pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
