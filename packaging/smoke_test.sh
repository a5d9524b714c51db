#!/usr/bin/env bash
# Start the built app in screenshot mode (offscreen) and check that it drew a real window:
# the PNG exists, is 1600x1000 and is not trivially small (> 20 kB).
# Usage: packaging/smoke_test.sh [OUT.png] [STEPS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
app="$here/dist/bn-studio/bn-studio"
out="${1:-/tmp/bn-studio-smoke.png}"
steps="${2:-50}"
[ -x "$app" ] || { echo "smoke test: $app not found; run packaging/build.sh first" >&2; exit 1; }
rm -f "$out"
start=$(date +%s.%N)
QT_QPA_PLATFORM=offscreen timeout 120 "$app" screenshot "$out" --steps "$steps"
secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
[ -f "$out" ] || { echo "smoke test failed: no $out" >&2; exit 1; }
size=$(stat -c %s "$out")
if [ "$size" -lt 20000 ]; then
  echo "smoke test failed: $out is only $size bytes" >&2
  exit 1
fi
dims=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); print('%dx%d' % struct.unpack('>II', d[16:24]))" "$out")
if [ "$dims" != "1600x1000" ]; then
  echo "smoke test failed: $out is $dims, expected 1600x1000" >&2
  exit 1
fi
echo "smoke test passed: $out ($size bytes, $dims, ${secs} s)"
