#!/usr/bin/env bash
# Installs the Debian packages Tresor needs to build and test, if missing.
# Sourced by start.sh and test.sh; safe to run again.
set -euo pipefail

TRESOR_APT_PACKAGES=(pkg-config libssl-dev)

tresor_install_apt() {
    local missing=()
    for p in "${TRESOR_APT_PACKAGES[@]}"; do
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
