#!/usr/bin/env bash
# Start the built app in screenshot mode (offscreen) and check that it drew a real window.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-/tmp/bn-studio-smoke.png}"
QT_QPA_PLATFORM=offscreen "$here/dist/bn-studio/bn-studio" screenshot "$out" --steps 50
size=$(stat -c %s "$out")
if [ "$size" -lt 20000 ]; then
  echo "smoke test failed: $out is only $size bytes" >&2
  exit 1
fi
echo "smoke test passed: $out ($size bytes)"
