#!/usr/bin/env bash
# A headless Chromium for the browser tests (tests/test_browser_*.py, driven by Playwright).
#
#   scripts/chromium.sh find   print the browser's path; as root on Debian, a missing one is
#                              installed first (Debian's chromium package)
#
# The browser is found through RSPACE_MOCK_CHROMIUM, then chromium or chromium-browser on PATH.
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }
die() { say "$*"; exit 1; }

locate() {
    if [ -n "${RSPACE_MOCK_CHROMIUM:-}" ]; then
        [ -x "$RSPACE_MOCK_CHROMIUM" ] || die "RSPACE_MOCK_CHROMIUM=$RSPACE_MOCK_CHROMIUM is not executable"
        echo "$RSPACE_MOCK_CHROMIUM"
        return
    fi
    command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true
}

find_browser() {
    local found
    found=$(locate)
    if [ -z "$found" ]; then
        if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
            die "no Chromium found. Install it (on Debian or Ubuntu: 'sudo apt-get install" \
                "chromium'), or set RSPACE_MOCK_CHROMIUM to a Chromium or Chrome binary."
        fi
        say "no Chromium found; installing Debian's chromium"
        apt-get update -qq || die "apt-get update failed; cannot install chromium"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
            >/dev/null || die "apt-get install chromium failed"
        found=$(locate)
        [ -n "$found" ] || die "chromium is still not on PATH"
    fi
    echo "$found"
}

case "${1:-}" in
    find) find_browser ;;
    *) die "usage: scripts/chromium.sh find" ;;
esac
