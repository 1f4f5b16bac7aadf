#!/usr/bin/env bash
# Fills in the Homebrew formula and the Scoop manifest for a release: the version, and each
# archive's SHA-256 from the ARCHIVE.sha256 files the release workflow writes next to them.
#
#   packaging/render-templates.sh VERSION DIST_DIR OUT_DIR
#
# writes OUT_DIR/chatroom.rb and OUT_DIR/chatroom.json, and fails when a checksum is missing or a
# placeholder is left. Run by the release workflow, and by .ci/run on made-up checksums.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:?usage: packaging/render-templates.sh VERSION DIST_DIR OUT_DIR}
dist=${2:?usage: packaging/render-templates.sh VERSION DIST_DIR OUT_DIR}
out=${3:?usage: packaging/render-templates.sh VERSION DIST_DIR OUT_DIR}
mkdir -p "$out"

render() {
  local template=$1 output=$2 text placeholder target archive sum
  text=$(< "$template")
  text=${text//@VERSION@/$version}
  # Every @SHA256:TARGET@ left names an archive whose checksum file must exist.
  while placeholder=$(grep -o '@SHA256:[a-z0-9_-]*@' <<< "$text" | head -n 1) && [ -n "$placeholder" ]; do
    target=${placeholder#@SHA256:}
    target=${target%@}
    archive=chatroom-$version-$target.tar.gz
    case $target in *-windows-*) archive=chatroom-$version-$target.zip ;; esac
    if [ ! -f "$dist/$archive.sha256" ]; then
      echo "render-templates: $dist/$archive.sha256 is missing (needed by $template)" >&2
      return 1
    fi
    sum=$(awk '{ print $1; exit }' "$dist/$archive.sha256")
    if ! [[ $sum =~ ^[0-9a-f]{64}$ ]]; then
      echo "render-templates: $dist/$archive.sha256 holds no SHA-256" >&2
      return 1
    fi
    text=${text//$placeholder/$sum}
  done
  if grep -n '@[A-Z0-9_:-]*@' <<< "$text" >&2; then
    echo "render-templates: placeholders left in $output (above)" >&2
    return 1
  fi
  printf '%s\n' "$text" > "$output"
}

render packaging/homebrew/chatroom.rb.in "$out/chatroom.rb"
render packaging/scoop/chatroom.json.in "$out/chatroom.json"
python3 -m json.tool "$out/chatroom.json" > /dev/null
if command -v ruby > /dev/null 2>&1; then
  ruby -c "$out/chatroom.rb" > /dev/null
fi
echo "render-templates: wrote $out/chatroom.rb and $out/chatroom.json for $version"
