#!/usr/bin/env bash
# Build a one-folder BN Studio app with PyInstaller into packaging/dist/bn-studio/.
# Uses its own venv (packaging/build/venv) so the project's environment stays clean.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="$here/build/venv"
start=$(date +%s)
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$root" pyinstaller
"$venv/bin/pyinstaller" --noconfirm --clean --distpath "$here/dist" --workpath "$here/build/work" \
    "$here/bn-studio.spec"
end=$(date +%s)
echo "build time: $((end - start)) s"
echo "size: $(du -sh "$here/dist/bn-studio" | cut -f1)"
