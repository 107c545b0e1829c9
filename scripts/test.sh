#!/usr/bin/env bash
# Runs every check and test of Tresor, end-to-end tests in the real app
# window included. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
tresor_install_test_tools
tresor_install_tauri_driver

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== ui: types, component tests, build"
(cd ui && npm run check && NO_COLOR=1 npm run test && npm run build) 2>&1 | sed -r 's/\x1b\[[0-9;]*m//g' | tee -a "$LOG"
echo "== format"
cargo fmt --all -- --check
# One feature set for every step, so the Tauri stack is compiled once for
# checking and once for testing. The app needs custom-protocol to serve ui/dist.
FEATURES=(--features tresor-app/custom-protocol)
echo "== lints"
cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings
echo "== docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet "${FEATURES[@]}"
echo "== tests: core, cli, shell, generated TypeScript types, and end to end in the real app window"
cargo test --workspace --locked "${FEATURES[@]}" --lib --bins --tests 2>&1 | tee -a "$LOG"

# One closing line for all runners: cargo's "test result" lines and vitest's "Tests  N passed".
awk '/^test result:/ { p += $4; f += $6 }
     /^ *Tests +[0-9]+ (passed|failed)/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\n%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$LOG"
