#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite: real PostgreSQL, on 127.0.0.1 only.
#
#   scripts/postgres.sh start          start it (or find it running); prints the DSN
#   scripts/postgres.sh stop           stop it (the data directory is kept for a fast next start)
#   scripts/postgres.sh status         say whether it runs; exit code 0 if it does, 3 if not
#   scripts/postgres.sh dsn            print the DSN of the running server
#   scripts/postgres.sh run -- CMD...  run CMD with RSPACE_MOCK_TEST_POSTGRES=<DSN> set, then stop
#                                      the server again (unless `start` had started it); exits
#                                      with CMD's exit code
#   scripts/postgres.sh destroy        stop it and delete its data directory
#
# One server per checkout and user: its files live in /tmp/rspace-mock-pg-<uid>-<checksum of the
# checkout's path>/ (a short path, because a unix socket's path may not exceed 107 bytes, and one
# the `postgres` user can reach, which a checkout under /root is not). The DSN is also written to
# .venv/pg/dsn, where the tests look for it when RSPACE_MOCK_TEST_POSTGRES is not set.
#
# The server binaries are found through PG_BINDIR, then `initdb` on PATH, then Debian's
# /usr/lib/postgresql/<version>/bin. As root, a missing server is installed with apt-get, and the
# server runs as the `postgres` system user (PostgreSQL refuses to run as root); otherwise it runs
# as the current user. RSPACE_MOCK_PG_DIR overrides the directory.
#
# Connections: a superuser `postgres` over the unix socket only (trust; the socket's directory is
# readable by the server's user alone) and the role `rspace_mock` (CREATEDB, a generated password)
# over TCP, owning the database `rspace_mock`.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DSN_ENV=RSPACE_MOCK_TEST_POSTGRES
TEST_ROLE=rspace_mock
TEST_DATABASE=rspace_mock
START_TIMEOUT=60
# Ports below Linux's ephemeral range (32768+), so outgoing connections do not take them meanwhile.
PORT_LOW=20000
PORT_SPAN=10000
PORT_TRIES=5

checkout_id=$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)
RUNTIME=${RSPACE_MOCK_PG_DIR:-/tmp/rspace-mock-pg-$(id -u)-$checkout_id}
DATA=$RUNTIME/data
SOCKET_DIR=$RUNTIME/socket
LOG=$RUNTIME/server.log
# Written once the role and database exist: a data directory without it is a half-done initdb.
READY_MARK=$RUNTIME/initialised
PASSWORD_FILE=$RUNTIME/password
PORT_FILE=$RUNTIME/port
DSN_FILE=$RUNTIME/dsn
# Present while the server was started by `start` rather than by `run`: `run` leaves it running.
KEPT_MARK=$RUNTIME/kept
VENV_DSN_FILE=$REPO_ROOT/.venv/pg/dsn

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

if [ "$(id -u)" -eq 0 ]; then
    SERVER_USER=postgres
else
    SERVER_USER=$(id -un)
fi

# Run a command as the server's user, from / (a root-only working directory would make initdb and
# pg_ctl complain), without the lock's descriptor: the postmaster would inherit it and hold the
# lock for as long as it runs.
as_server_user() {
    if [ "$(id -u)" -ne 0 ]; then
        (cd / && "$@") 9>&-
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u "$SERVER_USER" -- "$@") 9>&-
    else
        (cd / && su "$SERVER_USER" -s /bin/sh -c "$(printf '%q ' "$@")") 9>&-
    fi
}

# The directory holding initdb, pg_ctl and postgres, or nothing.
find_bindir() {
    local candidate
    local -a candidates=()
    [ -n "${PG_BINDIR:-}" ] && candidates+=("$PG_BINDIR")
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    # Debian and Ubuntu keep the server out of PATH; take the newest version installed.
    # shellcheck disable=SC2012  # version directories have plain names; sorted by number
    while IFS= read -r candidate; do
        candidates+=("$candidate")
    done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5nr)
    for candidate in "${candidates[@]}"; do
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ] && [ -x "$candidate/postgres" ]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 0
}

install_server() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "no PostgreSQL server found (initdb, pg_ctl and postgres; looked at \$PG_BINDIR, PATH and" \
            "/usr/lib/postgresql/*/bin). Install one, e.g. 'sudo apt-get install postgresql' on" \
            "Debian or Ubuntu, 'brew install postgresql' on macOS, or set PG_BINDIR to the directory" \
            "that holds initdb."
    fi
    say "no PostgreSQL server found; installing Debian's postgresql package"
    apt-get update -qq || die "apt-get update failed; cannot install PostgreSQL"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
        || die "apt-get install postgresql failed"
}

server_bindir() {
    local bindir
    bindir=$(find_bindir)
    if [ -z "$bindir" ]; then
        install_server
        bindir=$(find_bindir)
        [ -n "$bindir" ] || die "apt-get installed postgresql, but no initdb was found in /usr/lib/postgresql/*/bin"
    fi
    printf '%s\n' "$bindir"
}

check_server_user() {
    if [ "$(id -u)" -eq 0 ] && ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        die "PostgreSQL refuses to run as root, and there is no '$SERVER_USER' user to run it as" \
            "(Debian's postgresql package creates it; or: useradd --system $SERVER_USER)"
    fi
}

# Create the runtime directory, or check that the existing one is ours: it sits in /tmp, where
# anyone could have put a directory or a symlink under that name first.
prepare_runtime_dir() {
    # A concurrent start may create it first: its mkdir failing is fine, the checks below are not.
    if mkdir -m 700 "$RUNTIME" 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
        chown "$SERVER_USER:" "$RUNTIME"
    fi
    [ -d "$RUNTIME" ] && [ ! -L "$RUNTIME" ] || die "$RUNTIME is not a directory; remove it"
    local owner
    owner=$(stat -c %U "$RUNTIME" 2>/dev/null || stat -f %Su "$RUNTIME")
    [ "$owner" = "$SERVER_USER" ] || die "$RUNTIME belongs to $owner, not $SERVER_USER; remove it"
    if [ ! -d "$SOCKET_DIR" ]; then
        as_server_user mkdir -m 700 "$SOCKET_DIR"
    fi
}

is_running() {
    [ -f "$DATA/PG_VERSION" ] || return 1
    local bindir
    bindir=$(find_bindir)
    [ -n "$bindir" ] && as_server_user "$bindir/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# psql sits beside the server on Debian and Homebrew; elsewhere it may only be on PATH.
psql_bin() {
    if [ -x "$1/psql" ]; then
        printf '%s\n' "$1/psql"
    else
        command -v psql || die "psql not found (neither in $1 nor on PATH)"
    fi
}

server_major_version() {
    "$1/postgres" --version | sed -E 's/.*\) ([0-9]+).*/\1/'
}

initialise() {
    local bindir=$1
    if [ -d "$DATA" ]; then
        if [ -f "$READY_MARK" ] && [ "$(cat "$DATA/PG_VERSION" 2>/dev/null)" = "$(server_major_version "$bindir")" ]; then
            return 0
        fi
        say "discarding the unfinished or older data directory $DATA"
        as_server_user rm -rf "$DATA"
        rm -f "$READY_MARK"
    fi
    say "creating a PostgreSQL data directory in $DATA"
    local password
    password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    (umask 077 && printf '%s\n' "$password" >"$PASSWORD_FILE")
    # --no-locale: byte-order collation, the same on every machine.
    if ! as_server_user "$bindir/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$RUNTIME/initdb.log" 2>&1; then
        cat "$RUNTIME/initdb.log" >&2
        die "initdb failed (log above)"
    fi
    # A throw-away server for tests: speed over crash safety. Only the server's clients are killed
    # in the tests, never the server itself, so nothing here weakens what they check.
    as_server_user sh -c "cat >>'$DATA/postgresql.conf'" <<EOF

# scripts/postgres.sh: a test server, loopback only, fast rather than crash-safe
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

# Start postgres on a free port; tries a few ports, since another program may bind one first.
start_postmaster() {
    local bindir=$1 try port log_size
    for ((try = 1; try <= PORT_TRIES; try++)); do
        port=$((PORT_LOW + RANDOM % PORT_SPAN))
        log_size=0
        [ ! -f "$LOG" ] || log_size=$(wc -c <"$LOG")
        if as_server_user "$bindir/pg_ctl" -D "$DATA" -l "$LOG" -o "-p $port" \
            -w -t "$START_TIMEOUT" start >/dev/null 2>&1; then
            printf '%s\n' "$port" >"$PORT_FILE"
            return 0
        fi
        if ! tail -c +$((log_size + 1)) "$LOG" 2>/dev/null | grep -q 'could not bind'; then
            break
        fi
    done
    say "PostgreSQL did not start; the end of its log, $LOG:"
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    exit 1
}

# Create the test role and database once, over the superuser's socket connection.
create_test_role() {
    local bindir=$1 port=$2 password
    [ -f "$READY_MARK" ] && return 0
    password=$(cat "$PASSWORD_FILE")
    as_server_user "$(psql_bin "$bindir")" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$port" \
        -U postgres -d postgres >/dev/null <<EOF || die "could not create the test role and database"
CREATE ROLE $TEST_ROLE LOGIN CREATEDB PASSWORD '$password';
CREATE DATABASE $TEST_DATABASE OWNER $TEST_ROLE;
EOF
    touch "$READY_MARK"
}

write_dsn() {
    local port=$1 dsn
    dsn="postgresql://$TEST_ROLE:$(cat "$PASSWORD_FILE")@127.0.0.1:$port/$TEST_DATABASE"
    (umask 077 && printf '%s\n' "$dsn" >"$DSN_FILE")
    mkdir -p "$(dirname "$VENV_DSN_FILE")"
    (umask 077 && printf '%s\n' "$dsn" >"$VENV_DSN_FILE")
}

answers() {
    PGCONNECT_TIMEOUT=5 "$(psql_bin "$1")" -X -q -At -c 'SELECT 1' "$(cat "$DSN_FILE")" >/dev/null 2>&1
}

# pg_ctl -w has seen the postmaster accept connections on the socket; this also proves the test
# role can log in over TCP, which is what the tests use.
wait_until_ready() {
    local psql dsn deadline
    psql=$(psql_bin "$1")
    dsn=$(cat "$DSN_FILE")
    deadline=$((SECONDS + START_TIMEOUT))
    until "$psql" -X -q -At -c 'SELECT 1' "$dsn" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            "$psql" -X -q -At -c 'SELECT 1' "$dsn" >&2 || true
            die "PostgreSQL is running but the test role cannot connect over TCP (log: $LOG)"
        fi
        sleep 0.2
    done
}

with_lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>>"$RUNTIME/lock"
        flock 9
    fi
}

stop_postmaster() {
    local bindir=$1
    if ! as_server_user "$bindir/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
        say "PostgreSQL did not stop within 30 s of a fast shutdown; stopping it immediately"
        as_server_user "$bindir/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null
    fi
}

cmd_start() {
    local bindir
    bindir=$(server_bindir)
    check_server_user
    prepare_runtime_dir
    with_lock
    if is_running && [ -f "$DSN_FILE" ] && answers "$bindir"; then
        say "PostgreSQL is already running"
    else
        # Running without a DSN file (its port unknown) or not answering: restart it.
        if is_running; then stop_postmaster "$bindir"; fi
        initialise "$bindir"
        start_postmaster "$bindir"
        create_test_role "$bindir" "$(cat "$PORT_FILE")"
        write_dsn "$(cat "$PORT_FILE")"
        wait_until_ready "$bindir"
        say "PostgreSQL $(server_major_version "$bindir") is running (data: $DATA, log: $LOG)"
    fi
    cat "$DSN_FILE"
}

cmd_stop() {
    [ -d "$RUNTIME" ] || {
        say "PostgreSQL is not running"
        return 0
    }
    with_lock
    rm -f "$KEPT_MARK" "$DSN_FILE" "$PORT_FILE" "$VENV_DSN_FILE"
    if ! is_running; then
        say "PostgreSQL is not running"
        return 0
    fi
    stop_postmaster "$(find_bindir)"
    say "PostgreSQL stopped"
}

cmd_status() {
    if [ -d "$RUNTIME" ] && is_running && [ -f "$DSN_FILE" ]; then
        say "PostgreSQL is running (data: $DATA)"
        cat "$DSN_FILE"
    else
        say "PostgreSQL is not running"
        return 3
    fi
}

cmd_dsn() {
    [ -d "$RUNTIME" ] && is_running && [ -f "$DSN_FILE" ] \
        || die "PostgreSQL is not running; start it with scripts/postgres.sh start"
    cat "$DSN_FILE"
}

cmd_run() {
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "usage: scripts/postgres.sh run -- COMMAND [ARGS...]"
    local dsn status=0
    # Stop the server however this ends (CMD failing, Ctrl-C, SIGTERM, a failed start), unless a
    # developer's `start` keeps it running. CMD runs in the foreground, so Ctrl-C reaches it from
    # the terminal as usual; a signal for this script is acted on once CMD has ended.
    trap 'if [ ! -f "$KEPT_MARK" ]; then cmd_stop; fi' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    dsn=$(cmd_start)
    export "$DSN_ENV=$dsn"
    "$@" || status=$?
    exit "$status"
}

cmd_destroy() {
    cmd_stop
    [ -d "$RUNTIME" ] || return 0
    rm -rf "$RUNTIME"
    rm -rf "$(dirname "$VENV_DSN_FILE")"
    say "removed $RUNTIME"
}

case "${1:-}" in
start)
    cmd_start
    touch "$KEPT_MARK"
    ;;
stop) cmd_stop ;;
status) cmd_status ;;
dsn) cmd_dsn ;;
run)
    shift
    cmd_run "$@"
    ;;
destroy) cmd_destroy ;;
*)
    echo 'usage:' >&2
    sed -n '4,11s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac
