#!/usr/bin/env bash
# Structural checks that keep the architecture as ARCHITECTURE.md describes it, and the
# code's form: formatting (rustfmt.toml) in every cargo workspace. Each gate is one
# function; add new ones below and to the list at the end. Fast, no build (clippy and the
# fuzz build, which compile, are steps of scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
failed=0
fail() { echo "gate failed: $*" >&2; failed=1; }

# Only ui/src/lib/ipc/ talks to Tauri.
gate_tauri_imports_only_in_ipc() {
  local hits
  hits="$(git grep --untracked -n -E "from ['\"]@tauri-apps/|import\(['\"]@tauri-apps/" -- ui/src ':!ui/src/lib/ipc/' || true)"
  [ -z "$hits" ] || fail "only ui/src/lib/ipc/ may import @tauri-apps:"$'\n'"$hits"
}

# Commands are called only through the generated ui/src/lib/ipc/commands.ts.
gate_invoke_only_in_generated_code() {
  local hits
  hits="$(git grep --untracked -n -E "\binvoke(<[^>]*>)?\(" -- ui/src ':!ui/src/lib/ipc/commands.ts' || true)"
  [ -z "$hits" ] || fail "invoke( outside the generated ui/src/lib/ipc/commands.ts:"$'\n'"$hits"
  head -n 2 ui/src/lib/ipc/commands.ts | grep -q "Do not edit" || fail "ui/src/lib/ipc/commands.ts is not the generated file"
}

# No core crate depends on Tauri (directly or through a dependency).
gate_core_crates_know_no_tauri() {
  local manifest crate tree
  for manifest in crates/*/Cargo.toml; do
    if grep -n -E '^\s*tauri' "$manifest"; then fail "$manifest depends on tauri"; fi
    crate="$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n 1)"
    if ! tree="$(cargo tree --offline --locked -e normal,build -p "$crate" --prefix none)"; then
      fail "cargo tree failed for $crate"
    elif grep -q -E '^tauri(-[a-z-]+)? v' <<<"$tree"; then
      fail "$crate depends on tauri through its dependencies"
    fi
  done
}

# Every cargo workspace is formatted as rustfmt.toml says.
gate_formatted() {
  local manifest
  for manifest in Cargo.toml tests/e2e/Cargo.toml fuzz/Cargo.toml; do
    cargo fmt --manifest-path "$manifest" --all -- --check >/dev/null || fail "not formatted: cargo fmt --manifest-path $manifest --all"
  done
}

gate_formatted
gate_tauri_imports_only_in_ipc
gate_invoke_only_in_generated_code
gate_core_crates_know_no_tauri
[ "$failed" = 0 ] && echo "gates passed"
exit "$failed"
