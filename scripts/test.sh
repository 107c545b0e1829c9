#!/usr/bin/env bash
# Runs every check and test of Tresor, end-to-end tests in the real app
# window included. Installs what is missing first.
#
# Every step runs even when an earlier one failed (cargo with --no-fail-fast,
# so one failing test binary does not hide the others), and the closing
# line "N passed, N failed" is printed in every case; the exit code is 1
# when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
set -e
source scripts/deps.sh
tresor_install_test_tools
tresor_install_tauri_driver
set +e

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
FAILED_STEPS=()

# step NAME COMMAND...: runs COMMAND, its output also into the log, and
# remembers NAME when it fails.
step() {
    local name="$1"
    shift
    echo "== $name"
    local started=$SECONDS
    "$@" 2>&1 | sed -r 's/\x1b\[[0-9;]*m//g' | tee -a "$LOG"
    local rc="${PIPESTATUS[0]}"
    echo "== $name: $((SECONDS - started)) s"
    if [ "$rc" -ne 0 ]; then
        echo "!! $name failed (exit $rc)"
        FAILED_STEPS+=("$name")
    fi
}

in_ui() { (cd ui && "$@"); }
# One feature set for every step, so the Tauri stack is compiled once for
# checking and once for testing. The app needs custom-protocol to serve ui/dist.
FEATURES=(--features tresor-app/custom-protocol)

# Three steps, so that a failing component test still leaves ui/dist built
# for the app the Rust tests compile.
step "ui: types" in_ui npm run check
NO_COLOR=1 step "ui: component tests" in_ui npm run test
step "ui: build" in_ui npm run build
step "format" cargo fmt --all -- --check
# The lints also see the development server (tresor-shell's `serve`), which
# the tests below leave out so that the app they build holds none of it.
step "lints" cargo clippy --workspace --all-targets --locked --features tresor-app/custom-protocol,tresor-shell/serve -- -D warnings
RUSTDOCFLAGS="-D warnings" step "docs" cargo doc --workspace --no-deps --locked --quiet "${FEATURES[@]}"
step "tests: core, cli, shell, generated TypeScript types, and end to end in the real app window" \
    cargo test --workspace --locked --no-fail-fast "${FEATURES[@]}" --lib --bins --tests
step "tests: the development server" cargo test -p tresor-shell --locked --features serve --lib serve::

# One closing line for all runners: cargo's "test result" lines and vitest's
# "Tests  N passed"; a step that failed without a test failing counts as one.
awk -v steps="${#FAILED_STEPS[@]}" '
     /^test result:/ { p += $4; f += $6 }
     /^ *Tests +[0-9]+ (passed|failed)/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { if (f == 0 && steps > 0) f = steps; printf "\n%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$LOG"
rc=$?
if [ "${#FAILED_STEPS[@]}" -gt 0 ]; then
    printf 'failed steps: %s\n' "${FAILED_STEPS[*]}"
    rc=1
fi
exit "$rc"
