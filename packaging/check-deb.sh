#!/usr/bin/env bash
# Checks a chatroom .deb built by `cargo deb`: every file where Debian looks for it, with the
# right modes, and (with EXPECTED_ARCH) the right architecture.
#
#   packaging/check-deb.sh target/debian/chatroom_0.1.0-1_amd64.deb
#   EXPECTED_ARCH=arm64 packaging/check-deb.sh target/aarch64-unknown-linux-musl/debian/*.deb
#
# Run by .ci/run (when cargo-deb is installed) and by the release workflow for every Linux target.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=${1:?usage: packaging/check-deb.sh PACKAGE.deb}
listing=$(dpkg-deb --contents "$deb")
failed=0

# expect MODE PATH: PATH is in the package with permissions MODE (as ls -l prints them).
expect() {
  local mode=$1 path=$2
  if ! awk -v mode="$mode" -v path="./$path" '$1 == mode && $NF == path { found = 1 } END { exit !found }' <<< "$listing"; then
    echo "$deb: expected $mode ./$path" >&2
    failed=1
  fi
}

expect -rwxr-xr-x usr/bin/chatroom
# One page per checked-in man page, compressed as Debian policy wants.
for page in man/*.1; do
  expect -rw-r--r-- "usr/share/man/man1/$(basename "$page").gz"
done
expect -rw-r--r-- usr/share/bash-completion/completions/chatroom
expect -rw-r--r-- usr/share/zsh/vendor-completions/_chatroom
expect -rw-r--r-- usr/share/fish/vendor_completions.d/chatroom.fish
expect -rw-r--r-- usr/share/doc/chatroom/copyright
expect -rw-r--r-- usr/lib/systemd/system/chatroom.service

# Nothing outside /usr: no stray files in /etc, /home or the build tree.
strays=$(awk '$NF !~ /^\.\/(usr\/.*)?$/ { print $NF }' <<< "$listing")
if [ -n "$strays" ]; then
  printf '%s: files outside /usr:\n%s\n' "$deb" "$strays" >&2
  failed=1
fi

package=$(dpkg-deb --field "$deb" Package)
arch=$(dpkg-deb --field "$deb" Architecture)
if [ "$package" != chatroom ]; then
  echo "$deb: Package is '$package', expected chatroom" >&2
  failed=1
fi
if [ -n "${EXPECTED_ARCH:-}" ] && [ "$arch" != "$EXPECTED_ARCH" ]; then
  echo "$deb: Architecture is '$arch', expected $EXPECTED_ARCH" >&2
  failed=1
fi

if [ "$failed" -ne 0 ]; then
  echo "$deb holds:" >&2
  echo "$listing" >&2
  exit 1
fi
echo "$deb: $package $(dpkg-deb --field "$deb" Version) $arch, every file in place"
