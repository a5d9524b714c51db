#!/usr/bin/env bash
# Build BN Studio as a one-folder app with PyInstaller: packaging/dist/bn-studio/bn-studio.
# PyInstaller is not a project dependency: it goes into a build venv (packaging/build/venv)
# together with a regular (non-editable) install of the project.
# Usage: packaging/build.sh [--use-current-env]   (the flag: build with the active python)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
start=$(date +%s)

if [ "${1:-}" = "--use-current-env" ]; then
  py="$(command -v python)"
else
  venv="$here/build/venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  py="$venv/bin/python"
  "$py" -m pip install -q --upgrade pip
fi
"$py" -m pip install -q "pyinstaller>=6.0"
"$py" -m pip install -q --force-reinstall --no-deps "$root"    # this checkout, not a cached wheel
"$py" -m pip install -q "$root"                                # and its dependencies

rm -rf "$here/dist/bn-studio"
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$here/dist" --workpath "$here/build/work" "$here/bn-studio.spec"

end=$(date +%s)
echo "built $here/dist/bn-studio/bn-studio"
echo "build time: $((end - start)) s"
echo "dist size: $(du -sh "$here/dist/bn-studio" | cut -f1) ($(find "$here/dist/bn-studio" -type f | wc -l) files)"
