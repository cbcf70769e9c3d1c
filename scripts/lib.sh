# Shared by the scripts: installing what is missing, building, and the project-local
# PostgreSQL cluster. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_PORT=5432
DB_NAME=meetingledger

log() { printf '%s\n' "$*" >&2; }

# `--help` or `-h` among a script's arguments prints the comment at the script's top (what it
# does and how to call it) and exits 0, before anything is installed, built or started.
exit_if_help() {
    local argument
    for argument in "$@"; do
        case $argument in
            -h | --help)
                awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
                exit 0 ;;
        esac
    done
}

as_root() { [ "$(id -u)" = 0 ]; }

# Debian packages the project needs; installed only when missing. openssh-server and -client:
# the test of `meetctl --remote` runs its own sshd on 127.0.0.1 (where nothing stops it, the
# package also starts the system's ssh service). pgbouncer: the pooler tests run their own on
# 127.0.0.1 in front of the test cluster. postgresql-15-auto-failover, pg-auto-failover-cli:
# scripts/check-failover runs a pg_auto_failover formation of its own on 127.0.0.1.
ensure_packages() {
    local wanted=(postgresql postgresql-contrib libpq-dev pkg-config tzdata python3 python3-venv msmtp openssh-server openssh-client zsh fish pgbouncer
        postgresql-15-auto-failover pg-auto-failover-cli)
    local missing=()
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        as_root || { log "run as root (or install ${missing[*]} yourself)"; exit 1; }
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    command -v swift >/dev/null || { log "swift is not on PATH: install the Swift 6 toolchain"; exit 1; }
}

# Python packages the test and tooling drivers use, installed for the current python3.
ensure_python_packages() {
    local missing=()
    for spec in "$@"; do
        local module=${spec%%=*} package=${spec#*=}
        python3 -c "import $module" 2>/dev/null || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        # Debian's own python3 comes without pip (python3-venv brings only its wheel).
        if ! python3 -m pip --version >/dev/null 2>&1; then
            log "installing pip for $(command -v python3)"
            as_root || { log "run as root (or install python3-pip yourself)"; exit 1; }
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
        fi
        log "installing Python packages: ${missing[*]}"
        python3 -m pip install -q "${missing[@]}" 2>/dev/null || python3 -m pip install -q --break-system-packages "${missing[@]}"
    fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

# Runs a PostgreSQL server program as the postgres user when we are root (initdb refuses root),
# from / so a checkout the postgres user cannot enter is not its working directory.
pg_run() {
    if as_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Where a cluster lives: .pgdata/NAME in the checkout, or a folder in the system's temporary
# directory when the postgres user cannot reach the checkout (or its path is too long for a
# Unix socket).
cluster_dir() {
    local name=$1
    local dir="$ROOT/.pgdata/$name"
    if { as_root && ! runuser -u postgres -- test -x "$ROOT"; } || [ ${#dir} -gt 80 ]; then
        local tag
        tag=$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)
        dir="${TMPDIR:-/tmp}/meetingledger-$tag/$name"
    fi
    printf '%s\n' "$dir"
}

cluster_url() { printf 'host=%s port=%s dbname=%s user=postgres\n' "$(cluster_dir "$1")" "$PG_PORT" "$DB_NAME"; }

cluster_running() {
    local dir
    dir=$(cluster_dir "$1")
    [ -f "$dir/data/PG_VERSION" ] && pg_run "$(pg_bin)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# Creates (first time) and starts a cluster; reuses it when it is already running.
cluster_start() {
    local name=$1 dir bin
    dir=$(cluster_dir "$name")
    bin=$(pg_bin)
    mkdir -p "$dir"
    if as_root; then chown postgres:postgres "$dir" "$(dirname "$dir")" 2>/dev/null || true; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        log "creating PostgreSQL cluster in $dir"
        pg_run "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PG_PORT
max_connections = 300
shared_buffers = 256MB
# A CSV log the tests can read back: statements are logged only for roles that ask for it, as
# StatementCountTests' role does to count the statements of each call.
logging_collector = on
log_destination = 'stderr,csvlog'
log_directory = 'log'
log_filename = 'postgresql.log'
log_rotation_age = 0
log_rotation_size = 0
CONF
        if [ "${2:-}" = "--fast" ]; then
            echo "fsync = off" >>"$dir/data/postgresql.conf"
            echo "synchronous_commit = off" >>"$dir/data/postgresql.conf"
        fi
    fi
    if ! cluster_running "$name"; then
        pg_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
            || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    fi
    if ! pg_run "$bin/psql" -h "$dir" -p "$PG_PORT" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        pg_run "$bin/createdb" -h "$dir" -p "$PG_PORT" -U postgres "$DB_NAME"
    fi
}

# A hot standby NAME of the running cluster PRIMARY (pg_basebackup -R: it streams from PRIMARY
# and answers read-only queries), on a socket of its own; started, its URL printed by the caller.
cluster_standby() {
    local name=$1 primary=$2 dir pdir bin
    dir=$(cluster_dir "$name")
    pdir=$(cluster_dir "$primary")
    bin=$(pg_bin)
    cluster_running "$primary" || { log "cluster $primary is not running"; exit 1; }
    if [ -f "$dir/data/PG_VERSION" ] && ! pg_run test -f "$dir/data/standby.signal"; then
        # Started again, it would be a second primary (a failed-over primary must be fenced, then
        # copied afresh or rewound before it follows the new one).
        log "cluster $name exists and is not a standby: destroy it first (scripts/db destroy --name $name), then make the standby"
        exit 1
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir"
        if as_root; then chown postgres:postgres "$dir" "$(dirname "$dir")" 2>/dev/null || true; fi
        log "creating a hot standby of $primary in $dir"
        pg_run "$bin/pg_basebackup" -h "$pdir" -p "$PG_PORT" -U postgres -D "$dir/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 \
            || { cat "$dir/basebackup.log" >&2; exit 1; }
        # The copy carries the primary's settings; the later line wins.
        echo "unix_socket_directories = '$dir'" | pg_run tee -a "$dir/data/postgresql.conf" >/dev/null
    fi
    if ! cluster_running "$name"; then
        pg_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
            || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    fi
}

# Makes the standby NAME a primary (what a failover does).
cluster_promote() {
    pg_run "$(pg_bin)/pg_ctl" -D "$(cluster_dir "$1")/data" -w promote >/dev/null
}

cluster_stop() {
    local dir
    dir=$(cluster_dir "$1")
    if cluster_running "$1"; then pg_run "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
}

cluster_destroy() {
    cluster_stop "$1"
    rm -rf "$(cluster_dir "$1")"
}

# Builds the executables; prints the folder holding them.
build() {
    local config=${1:-debug}
    (cd "$ROOT" && swift build -c "$config" >&2)
    (cd "$ROOT" && swift build -c "$config" --show-bin-path)
}
