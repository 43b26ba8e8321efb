#!/usr/bin/env bash
# Installs what is missing, then runs every test: the gates (formatting, architecture),
# the peer-tool venv (mlflow, trackio: the spec for search syntax and live writers), UI
# type checks, clippy, a build of the fuzz targets, Rust unit and integration tests
# (readers against the real fixtures, the index, the CLI and its JSON, the app's wire
# types, live writers and kills), the release CLI build (which must need no GUI
# libraries), the benchmark smoke test, and the end-to-end tests that drive the real app
# through WebDriver under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
. scripts/env.sh
export LANG=C.UTF-8   # the locale CI has; the UI must render under it
step() { echo; echo "== $*"; }
# Temporary folders go, whether the tests pass or not.
tmp_dirs=()
trap 'rm -rf "${tmp_dirs[@]}"' EXIT

step "Gates: formatted, only ui/src/lib/ipc talks to Tauri, invoke only in generated code, no Tauri below src-tauri"
scripts/gates.sh

step "Peer tools: the pinned mlflow and trackio whose answers the tests take as the spec"
RUNLENS_PEERS_PYTHON="$(scripts/peers.sh)"
export RUNLENS_PEERS_PYTHON

step "UI: type check and build"
(cd ui && timeout 600 npm run check && timeout 600 npm run build)

step "Rust: build everything (debug)"
timeout 3600 cargo build --locked --workspace

step "Rust: clippy, warnings as errors"
timeout 3600 cargo clippy --locked --workspace --all-targets -- -D warnings

step "Fuzz targets build (cargo fuzz runs them; see fuzz/README.md)"
timeout 1800 cargo build --locked --manifest-path fuzz/Cargo.toml --target-dir "$CARGO_TARGET_DIR/fuzz"

step "Rust: unit and integration tests"
timeout 1800 cargo test --locked --workspace

step "CLI: release build without GUI libraries"
timeout 3600 cargo build --locked --release --bin runlens
if ldd "$CARGO_TARGET_DIR/release/runlens" | grep -E 'gtk|webkit|soup'; then
  echo "the runlens CLI links GUI libraries" >&2
  exit 1
fi
"$CARGO_TARGET_DIR/release/runlens" --version

step "Benchmark smoke test (tiny scale)"
# Benchmarks are not tests: this only checks that runlens-bench still generates its stores,
# runs every measurement on the CLI just built, and writes its report (not docs/PERFORMANCE.md).
bench_tmp="$(mktemp -d)"
tmp_dirs+=("$bench_tmp")
tmp="$bench_tmp/PERFORMANCE.md"
timeout 600 cargo run --locked --release -p runlens-bench -- --scale tiny --out "$tmp" \
  --work "$bench_tmp/work" --runlens "$CARGO_TARGET_DIR/release/runlens" > "$bench_tmp/stdout"
grep -q '^| Cold `add`: MLflow folder store' "$tmp"
grep -q '^| HTML report: ' "$tmp"
rm -rf "$bench_tmp"

step "End to end: the real app through WebDriver"
RUNLENS_APP="$CARGO_TARGET_DIR/debug/runlens-app" CARGO_TARGET_DIR="$E2E_TARGET_DIR" \
  timeout -k 20 1800 xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test --locked --manifest-path tests/e2e/Cargo.toml -- --test-threads=1

step "all tests passed"
