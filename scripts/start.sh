#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and opens Runlens on the bundled demo
# stores (tests/fixtures: real MLflow stores, among others) with a demo index of its own.
# Extra arguments are more folders to add. Without a display it runs on Xvfb :99.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh

echo "== building the UI and the app"
(cd ui && npm run build)
cargo build -p runlens-app -p runlens-cli

data="${XDG_DATA_HOME:-$HOME/.local/share}/dev.runlens.desktop"
mkdir -p "$data"
export RUNLENS_DB="${RUNLENS_DB:-$data/demo.sqlite}"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  export DISPLAY=:99
  if ! xdpyinfo -display :99 >/dev/null 2>&1 && ! [ -e /tmp/.X11-unix/X99 ]; then
    Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    sleep 1
  fi
  echo "No display found: Runlens runs on the virtual display :99."
  echo "Take a look with: import -display :99 -window root runlens.png"
fi
echo "== starting Runlens (index: $RUNLENS_DB)"
exec "$CARGO_TARGET_DIR/debug/runlens-app" "$PWD/tests/fixtures" "$@"
