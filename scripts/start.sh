#!/usr/bin/env bash
# Installs what is missing, builds the desktop app and starts it. On first
# start (no vault yet) it opens a demo vault filled with generated people.
#
# A second start with nothing changed takes seconds: the UI is built again
# only when its sources changed (rewriting ui/dist would make cargo link the
# app again), and the `tresor` command is built while the window is open,
# not before. TRESOR_BUILD_ONLY=1 builds both and starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
tresor_install_all

# What the UI's build reads: its sources, the generated bindings among them,
# its configuration and its locked modules.
ui_sources_sum() {
    find ui/src ui/public ui/index.html ui/package-lock.json ui/vite.config.ts \
        ui/svelte.config.js ui/tsconfig.json -type f -print0 2>/dev/null |
        sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
mkdir -p target
sum="$(ui_sources_sum)"
if [ ! -f ui/dist/index.html ] || [ "$(cat target/.tresor-ui-sum 2>/dev/null)" != "$sum" ]; then
    (cd ui && npm run build)
    echo "$sum" > target/.tresor-ui-sum
fi
cargo build --release --locked -p tresor-app --features custom-protocol

if [ "${TRESOR_BUILD_ONLY:-}" = 1 ]; then
    cargo build --release --locked -p tresor-cli
    echo "Built target/release/tresor-app and target/release/tresor"
    exit 0
fi
# The command line is built meanwhile, at low priority; its log is kept.
(nice cargo build --release --locked -p tresor-cli > target/tresor-cli-build.log 2>&1 &&
    echo "The tresor command is at target/release/tresor" ||
    echo "Building the tresor command failed: see target/tresor-cli-build.log") &
TRESOR_START_DEMO=1 exec target/release/tresor-app
