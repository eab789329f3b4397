#!/usr/bin/env bash
# jsoup 1.15.3, the HTML library RSpace cleans text fields with, compiled into a small reference
# program (scripts/jsoup_oracle/JsoupClean.java) that the tests compare the fake's field HTML with.
#
#   scripts/jsoup.sh build   find (or, as root on Debian, install) Java and jsoup 1.15.3, and
#                            compile the reference into .venv/jsoup/; prints its class path
#
# jsoup is found through JSOUP_JAR, then Debian's /usr/share/java/jsoup-1.15.3.jar (the
# libjsoup-java package, which is exactly that version). As root, a missing JDK or jsoup is
# installed with apt-get.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO_ROOT/.venv/jsoup
SOURCE=$REPO_ROOT/scripts/jsoup_oracle/JsoupClean.java
JAR=${JSOUP_JAR:-/usr/share/java/jsoup-1.15.3.jar}

say() { echo "jsoup.sh: $*" >&2; }
die() { say "$*"; exit 1; }

install_packages() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "$1 not found. Install it (on Debian or Ubuntu: 'sudo apt-get install" \
            "default-jdk-headless libjsoup-java'), or set JSOUP_JAR to a jsoup 1.15.3 jar."
    fi
    say "$1 not found; installing Debian's $2"
    apt-get update -qq || die "apt-get update failed; cannot install $2"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $2 >/dev/null \
        || die "apt-get install $2 failed"
}

build() {
    command -v javac >/dev/null 2>&1 || install_packages "a Java compiler (javac)" default-jdk-headless
    [ -f "$JAR" ] || install_packages "jsoup 1.15.3 ($JAR)" libjsoup-java
    [ -f "$JAR" ] || die "jsoup 1.15.3 is still not at $JAR"
    if [ ! -f "$OUT/JsoupClean.class" ] || [ "$SOURCE" -nt "$OUT/JsoupClean.class" ]; then
        mkdir -p "$OUT"
        javac -nowarn -cp "$JAR" -d "$OUT" "$SOURCE" || die "could not compile $SOURCE"
    fi
    printf '%s:%s\n' "$JAR" "$OUT" > "$OUT/classpath"
    cat "$OUT/classpath"
}

case "${1:-}" in
    build) build ;;
    *) die "usage: scripts/jsoup.sh build" ;;
esac
