# Sourced by the other scripts: shared build settings.
# Compiled crates live outside the checkout, so a fresh clone (CI) reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/runlens/target}"
# The end-to-end test client is its own cargo workspace with its own target folder.
export E2E_TARGET_DIR="${E2E_TARGET_DIR:-$CARGO_TARGET_DIR/e2e}"
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
# WebKitGTK without a session bus: keep GTK's settings in memory.
export GSETTINGS_BACKEND="${GSETTINGS_BACKEND:-memory}"
# The pinned Python venv with the peer tools (scripts/peers.sh makes it).
export PEERS_VENV="${PEERS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/runlens/peers-venv}"
