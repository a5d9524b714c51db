#!/usr/bin/env bash
# Linux desktop integration for the current user: menu entry, AppStream data and icons.
set -euo pipefail
res="$(cd "$(dirname "$0")/.." && pwd)/resources"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
id=io.github.bnstudio.BNStudio
install -Dm644 "$res/$id.desktop" "$data/applications/$id.desktop"
install -Dm644 "$res/$id.metainfo.xml" "$data/metainfo/$id.metainfo.xml"
for size in 16 24 32 48 64 128 256; do
  install -Dm644 "$res/icons/bn-studio-$size.png" "$data/icons/hicolor/${size}x${size}/apps/$id.png"
done
install -Dm644 "$res/icons/bn-studio.svg" "$data/icons/hicolor/scalable/apps/$id.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed $id for $(whoami) under $data"
