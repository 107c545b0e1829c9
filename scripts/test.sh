#!/usr/bin/env bash
# Runs every check and test of Tresor, end-to-end tests in the real app
# window included. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
tresor_install_all
tresor_install_tauri_driver

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== ui: types, component tests, build"
(cd ui && npm run check && NO_COLOR=1 npm run test && npm run build) 2>&1 | sed -r 's/\x1b\[[0-9;]*m//g' | tee -a "$LOG"
echo "== format"
cargo fmt --all -- --check
echo "== lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== tests (core, cli, shell, generated TypeScript types)"
cargo test --workspace --locked --lib --bins --tests 2>&1 | tee -a "$LOG"
echo "== end to end (the real app window over WebDriver)"
cargo test -p tresor-app --locked --features custom-protocol --test e2e -- --test-threads=1 2>&1 | tee -a "$LOG"

# One closing line for all runners: cargo's "test result" lines and vitest's "Tests  N passed".
awk '/^test result:/ { p += $4; f += $6 }
     /^ *Tests +[0-9]+ (passed|failed)/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\n%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$LOG"
