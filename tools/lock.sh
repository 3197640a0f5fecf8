#!/usr/bin/env bash
# Regenerate constraints.txt: resolve requirements-dev.txt afresh (no constraints) in a clean venv of the
# oldest supported Python, freeze it, then check that the same pins install on every other supported
# Python. Run it when you want newer dependencies; commit the result only after `.ci/run` passes.
#   bash tools/lock.sh            (uses python3.11 for the resolve; PYTHONS="3.12 3.13" for the checks)
set -euo pipefail
cd "$(dirname "$0")/.."
oldest=${OLDEST:-3.11}
pythons=${PYTHONS:-"3.12 3.13"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py() { bash tools/python.sh "$1"; }
"$(py "$oldest")" -m venv "$tmp/venv"
grep -v '^-c ' requirements-dev.txt > "$tmp/req.txt"
"$tmp/venv/bin/pip" install -q -r "$tmp/req.txt"
{
  echo "# Pins for the dev and test toolchain and the runtime dependencies, resolved on Python $oldest"
  echo "# on $(date -u +%Y-%m-%d) by tools/lock.sh. Checked to install on: $oldest $pythons."
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^#'
} > constraints.txt.new
for v in $pythons; do
  "$(py "$v")" -m venv "$tmp/v$v"
  "$tmp/v$v/bin/pip" install -q --dry-run -c constraints.txt.new -r "$tmp/req.txt" >/dev/null
done
mv constraints.txt.new constraints.txt
echo "constraints.txt updated"
