#!/usr/bin/env bash
# Installs what Tresor needs to build, run and test, if missing: Debian
# packages, the UI's npm modules, and tauri-driver. Sourced by start.sh and
# test.sh; safe to run again.
set -euo pipefail

TRESOR_APT_PACKAGES=(pkg-config libssl-dev libwebkit2gtk-4.1-dev libxdo-dev librsvg2-dev xvfb webkit2gtk-driver)
# Only the tests need these: a real SMTP server on loopback, LibreOffice to
# read exported spreadsheets back, Syncthing to sync two vaults through real
# shared folders on loopback, and xdotool to answer the native save dialog.
TRESOR_TEST_APT_PACKAGES=(python3-aiosmtpd libreoffice-calc-nogui syncthing xdotool)

tresor_install_apt() {
    local missing=()
    for p in "${TRESOR_APT_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing Debian packages: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
}

tresor_install_npm() {
    local sum
    sum="$(sha256sum ui/package-lock.json | cut -d' ' -f1)"
    if [ "$(cat ui/node_modules/.tresor-lock-sum 2>/dev/null)" != "$sum" ]; then
        echo "Installing the UI's npm modules"
        (cd ui && npm ci --no-audit --no-fund)
        echo "$sum" > ui/node_modules/.tresor-lock-sum
    fi
}

tresor_install_tauri_driver() {
    if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
        echo "Installing tauri-driver"
        cargo install tauri-driver --version '^2' --locked
    fi
}

tresor_install_all() {
    tresor_install_apt
    tresor_install_npm
}

tresor_install_test_tools() {
    tresor_install_apt "${TRESOR_TEST_APT_PACKAGES[@]}"
    tresor_install_npm
}
