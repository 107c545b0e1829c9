#!/usr/bin/env bash
# Runs every check and test of Tresor. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
tresor_install_apt

echo "== format"
cargo fmt --all -- --check
echo "== lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== tests"
# Library, binary and integration tests (benches are run by `cargo bench`).
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
cargo test --workspace --locked --lib --bins --tests 2>&1 | tee "$LOG"
awk '/^test result:/ { p += $4; f += $6 } END { printf "\ntests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$LOG"
