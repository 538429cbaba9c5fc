#!/bin/sh
# Smoke test of a built or installed track: the seed README Quick Start in a fresh temp
# directory, outside any repository. Usage: scripts/smoke.sh path/to/track [expected-version]
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
expected=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export NO_COLOR=1 TRACK_AGENT=
version=$("$bin" --version)
echo "smoke: $version"
if [ -n "$expected" ] && [ "$version" != "track $expected" ]; then
  echo "smoke: expected \"track $expected\", got \"$version\"" >&2
  exit 1
fi
"$bin" init
"$bin" create --title "Fix auth bug" --priority high
"$bin" register --agent agent-alpha
"$bin" claim T-0001 --agent agent-alpha
"$bin" update T-0001 --status in-progress --agent agent-alpha
"$bin" log T-0001 --agent agent-alpha -m "Found root cause in token_refresh()"
"$bin" board --agent agent-alpha -m "Starting work on auth module"
"$bin" list | grep -q "T-0001"
"$bin" export -o export.json
mkdir copy && (cd copy && "$bin" init && "$bin" import ../export.json && "$bin" show T-0001 >/dev/null)
if "$bin" serve --help >/dev/null 2>&1; then
  "$bin" serve -d
  "$bin" stop
fi
echo "smoke: ok"
