#!/usr/bin/env bash
# Installs whatever is missing to build and run Runlens on Debian 12 / Ubuntu 22.04+:
# system packages (apt), Rust (rustup), Node.js 20+, the UI's npm packages and, with
# --test, tauri-driver for the end-to-end tests. Safe to run again: it only adds what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

want_test=false
[ "${1:-}" = "--test" ] && want_test=true
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

pkgs=(build-essential pkg-config file curl ca-certificates libssl-dev libgtk-3-dev libwebkit2gtk-4.1-dev
      librsvg2-dev libayatana-appindicator3-dev libxdo-dev xvfb xauth imagemagick
      fonts-droid-fallback fonts-noto-color-emoji)
# Tests: the WebDriver for WebKitGTK, xdotool (types into the native save dialog), sqlite3, a Python with venv for the peer tools,
# Chromium (reports are opened in it, offline) and pdflatex with pgfplots (the LaTeX
# report must compile unchanged).
$want_test && pkgs+=(webkit2gtk-driver xdotool sqlite3 python3 python3-venv chromium texlive-latex-base texlive-pictures)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing system packages: ${missing[*]}"
  timeout 900 $SUDO apt-get update -q
  timeout 1800 $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "== installing Rust (rustup)"
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  . "$HOME/.cargo/env"
fi

# The test gates need clippy and rustfmt (a minimal rustup profile has neither).
if $want_test && command -v rustup >/dev/null && ! { cargo clippy --version && cargo fmt --version; } >/dev/null 2>&1; then
  echo "== adding the clippy and rustfmt components"
  rustup component add clippy rustfmt
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  echo "== installing Node.js from the distribution"
  timeout 900 $SUDO apt-get install -y -q --no-install-recommends nodejs npm || true
  if [ "$(node_major)" -lt 20 ]; then
    echo "Runlens' UI build needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
    echo "Install it from https://nodejs.org or your package manager, then run this again." >&2
    exit 1
  fi
fi

if $want_test && ! command -v tauri-driver >/dev/null; then
  echo "== installing tauri-driver 2.1.0"
  timeout 1800 cargo install tauri-driver --locked --version 2.1.0
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "== installing the UI's npm packages"
  (cd ui && timeout 900 npm ci --no-audit --no-fund)
fi
