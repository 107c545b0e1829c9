#!/usr/bin/env bash
# Installs what is missing, builds Tresor, and opens a demo vault on first
# start. Until the desktop app lands this starts the `tresor` command.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
tresor_install_apt

cargo build --release --locked -p tresor-cli
BIN="$PWD/target/release/tresor"
DEMO="${TRESOR_VAULT:-${XDG_DATA_HOME:-$HOME/.local/share}/tresor-demo}"
if [ ! -f "$DEMO/keyring.json" ]; then
    echo "Creating a demo vault in $DEMO (user: admin, passphrase: demo-passphrase)"
    PW="$(mktemp)"
    trap 'rm -f "$PW"' EXIT
    printf 'demo-passphrase' > "$PW"
    "$BIN" --vault "$DEMO" --passphrase-file "$PW" init --admin admin --recovery-kit "$DEMO.recovery-kit.txt" > /dev/null
    "$BIN" --vault "$DEMO" --passphrase-file "$PW" demo seed --contacts 1000 --seed 1
fi
echo
echo "Demo vault: $DEMO   (passphrase: demo-passphrase)"
echo "Try:  TRESOR_VAULT=$DEMO $BIN contact search müller"
echo
TRESOR_VAULT="$DEMO" "$BIN" --help
