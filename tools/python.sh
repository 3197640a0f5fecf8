#!/usr/bin/env bash
# Print the path of a Python interpreter of version $1 (e.g. 3.13): python3.X on PATH, else pyenv's.
set -euo pipefail
v=$1
for cand in "python$v" "$HOME/.pyenv/versions/$v"*/bin/"python$v"; do
  if p=$(command -v "$cand" 2>/dev/null) && "$p" -c 'import sys' 2>/dev/null; then
    echo "$p"; exit 0
  fi
done
echo "no Python $v found (install python$v, or pyenv install $v)" >&2
exit 1
