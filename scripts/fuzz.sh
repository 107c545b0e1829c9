#!/usr/bin/env bash
# Fuzzes the core's readers of what comes from the shared folder (keyring,
# keysets, envelopes, segment/snapshot/card/ack/retirement bodies), one
# target after the other on one core. Not part of CI.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target: the first argument, else $FUZZ_SECONDS, else 180.
# TARGETs: all of crates/core/fuzz/fuzz_targets unless named. Crashes land
# in crates/core/fuzz/artifacts/<target>/ (the script then exits 1): turn
# each into a unit test beside the parser. The corpus grows in
# crates/core/fuzz/corpus/ (ignored by git), seeded from the core's own
# writers by the `fuzz_seeds` example.
#
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain take them. Installs cargo-fuzz when missing.
set -euo pipefail

cd "$(dirname "$0")/.."
root="$PWD"
fuzz="$root/crates/core/fuzz"

seconds="${FUZZ_SECONDS:-180}"
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=()
    for f in "$fuzz"/fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/fuzz}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "Installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "Writing seeds"
cargo run --quiet -p tresor-core --features fuzzing --example fuzz_seeds -- "$fuzz/corpus"

cd "$fuzz"
cargo fuzz build -O
failed=()
for t in "${targets[@]}"; do
    echo "== $t: ${seconds}s"
    mkdir -p "corpus/$t"
    if ! cargo fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -jobs=1 -workers=1 -max_len=65536 \
        -timeout=10 -rss_limit_mb=4096 -print_final_stats=1; then
        failed+=("$t")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "Crashes in: ${failed[*]} (see crates/core/fuzz/artifacts/)"
    exit 1
fi
echo "No crash in ${#targets[@]} targets, ${seconds}s each."
