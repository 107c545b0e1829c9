#!/usr/bin/env bash
# Installs what is missing, builds the desktop app and starts it. On first
# start (no vault yet) it opens a demo vault filled with generated people.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
tresor_install_all
tresor_install_tauri_driver

(cd ui && npm run build)
cargo build --release --locked -p tresor-app --features custom-protocol
cargo build --release --locked -p tresor-cli
echo "The tresor command is at target/release/tresor"
TRESOR_START_DEMO=1 exec target/release/tresor-app
