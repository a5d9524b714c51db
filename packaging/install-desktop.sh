#!/usr/bin/env bash
# Linux desktop integration for the current user: menu entry, AppStream data and hicolor icons
# under ${XDG_DATA_HOME:-~/.local/share}. The menu entry runs `bn-studio`: from a pip install it
# is already on PATH; otherwise, if packaging/dist/bn-studio/ was built, it is linked into
# ~/.local/bin. Usage: packaging/install-desktop.sh [--uninstall]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
res="$(dirname "$here")/resources"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
id=io.github.bnstudio.BNStudio
sizes="16 24 32 48 64 128 256"

files=("$data/applications/$id.desktop" "$data/metainfo/$id.metainfo.xml"
       "$data/icons/hicolor/scalable/apps/$id.svg")
for size in $sizes; do files+=("$data/icons/hicolor/${size}x${size}/apps/$id.png"); done

refresh() {
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t -f "$data/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "${files[@]}"
  [ -L "$bin/bn-studio" ] && [[ "$(readlink "$bin/bn-studio")" == "$here/dist/"* ]] && rm -f "$bin/bn-studio"
  refresh
  echo "removed $id from $data"
  exit 0
fi

install -Dm644 "$res/$id.desktop" "$data/applications/$id.desktop"
install -Dm644 "$res/$id.metainfo.xml" "$data/metainfo/$id.metainfo.xml"
for size in $sizes; do
  install -Dm644 "$res/icons/bn-studio-$size.png" "$data/icons/hicolor/${size}x${size}/apps/$id.png"
done
install -Dm644 "$res/icons/bn-studio.svg" "$data/icons/hicolor/scalable/apps/$id.svg"

if ! command -v bn-studio >/dev/null && [ -x "$here/dist/bn-studio/bn-studio" ]; then
  mkdir -p "$bin"
  ln -sfn "$here/dist/bn-studio/bn-studio" "$bin/bn-studio"
  echo "linked $bin/bn-studio -> $here/dist/bn-studio/bn-studio"
fi
command -v bn-studio >/dev/null || [ -x "$bin/bn-studio" ] ||
  echo "note: bn-studio is not on PATH; pip install the project or run packaging/build.sh first"
refresh
echo "installed $id under $data"
