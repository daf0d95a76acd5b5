#!/usr/bin/env bash
# The Debian package of this build (CPack, what `make package` makes from the
# release build): its files and Depends, and the packaged godwit run from a
# directory outside the source tree: --version, the man page, the bash
# completion, and the demo with its built-in migration. The package is
# extracted, not installed (the test leaves the system alone); it is made
# without compression here, to be quick.
#   tests/package/deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }

if ! cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" \
     -D CPACK_DEBIAN_COMPRESSION_TYPE=none > "$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  fail "cpack failed"
fi
deb=$(ls "$work"/out/*.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/godwit ./usr/share/man/man1/godwit.1.gz \
         ./usr/share/bash-completion/completions/godwit \
         ./usr/share/zsh/vendor-completions/_godwit \
         ./usr/share/godwit/examples/migrations/Orders/0002_key_by_customer.lua \
         ./usr/share/doc/godwit/README.md ./usr/share/doc/godwit/design.md; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in $(basename "$deb")"
done
[ "$(dpkg-deb -f "$deb" Package)" = godwit ] || fail "package name"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in librocksdb liblua5.4 libcurl libsimdjson libprometheus-cpp; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done

root="$work/root"
dpkg-deb -x "$deb" "$root"
cd "$work"  # not the source tree: nothing of it is found by accident
"$root/usr/bin/godwit" --version | grep -qE '^godwit [0-9]+\.[0-9]+\.[0-9]+$' ||
  fail "--version"
zcat "$root/usr/share/man/man1/godwit.1.gz" | head -1 | grep -q '^\.TH GODWIT 1' ||
  fail "the man page does not start with .TH"
zcat "$root/usr/share/man/man1/godwit.1.gz" | grep -q '^\.SS migrate$' ||
  fail "the man page has no migrate section"
got=$(bash -c "source '$root/usr/share/bash-completion/completions/godwit'
  COMP_WORDS=(godwit mig); COMP_CWORD=1; _godwit; echo \"\${COMPREPLY[*]}\"")
[ "$got" = migrate ] || fail "bash completion of 'mig': '$got'"
if ! "$root/usr/bin/godwit" demo --items 2000 --write-rate 100 > demo.log 2>&1; then
  cat demo.log >&2
  fail "the packaged demo failed"
fi
grep -q 'acknowledged *0 wrong or missing' demo.log || { cat demo.log >&2; fail "demo"; }
echo "deb_test: $(basename "$deb") ok: $(grep -c . <<<"$contents") entries; Depends: $depends"
