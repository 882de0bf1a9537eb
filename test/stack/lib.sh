# Shared settings and helpers for test/stack/up.sh and down.sh (sourced, not run).
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_SRC="$REPO_ROOT/test/stack"
STACK_DIR="$REPO_ROOT/.stack"
LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"
DATA_DIR="$STACK_DIR/data"
CONF_DIR="$STACK_DIR/conf"
LIB_DIR="$STACK_DIR/lib"

# Ports (documented in README.md, read by test/support/stack-endpoints.ts).
REDIS_PORT="${STACK_REDIS_PORT:-6379}"
REDIS_CLUSTER_PORTS="${STACK_REDIS_CLUSTER_PORTS:-7001,7002,7003}"
PG_PORT="${STACK_PG_PORT:-5432}"
PG_STANDBY_PORT="${STACK_PG_STANDBY_PORT:-5433}"
MARIADB_PORT="${STACK_MARIADB_PORT:-3306}"
KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_SASL_PORT="${STACK_KAFKA_SASL_PORT:-9094}" # the broker's SASL/SCRAM-SHA-512 listener
CONNECT_PORT="${STACK_CONNECT_PORT:-8083}"
DYNAMODB_PORT="${STACK_DYNAMODB_PORT:-8000}"

TEST_DATABASE="cdc_cache_test"
DYNAMODB_LOCAL_VERSION="1.25.1" # what amplify-dynamodb-simulator 2.9.30 (package-lock.json) ships

# The PostgreSQL hot standby: its data directory, and the physical slot on the primary that keeps its WAL.
PG_STANDBY_DIR="$DATA_DIR/postgres-standby"
# The slot name carries a hash of this checkout's .stack/, so that one checkout never drops another's slot.
PG_STANDBY_SLOT="cdc_cache_standby_$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-8)"

IFS=',' read -r -a REDIS_CLUSTER_PORT_LIST <<<"$REDIS_CLUSTER_PORTS"

log() { printf '[stack] %-16s %s\n' "$1" "$2"; }

# Stop with a message naming the service and the log to read (and show its tail).
die() {
  local service="$1" message="$2" logfile="${3:-}"
  printf '[stack] %-16s FAILED: %s\n' "$service" "$message" >&2
  if [[ -n "$logfile" ]]; then
    printf '[stack] %-16s read %s (last 30 lines below)\n' "$service" "$logfile" >&2
    tail -n 30 "$logfile" 2>/dev/null | sed 's/^/    /' >&2 || true
  fi
  exit 1
}

require_cmd() {
  local service="$1" cmd="$2" hint="$3"
  command -v "$cmd" >/dev/null 2>&1 || die "$service" "'$cmd' is not on PATH ($hint)"
}

# The pid listening on 127.0.0.1:<port> (empty when none, or when ss cannot tell).
port_pid() {
  ss -ltnpH "( sport = :$1 )" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

port_in_use() {
  [[ -n "$(ss -ltnH "( sport = :$1 )" 2>/dev/null)" ]]
}

describe_pid() {
  local pid="$1"
  if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]]; then
    printf 'pid %s (%s)' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | tr -s ' ' | sed 's/ $//' | cut -c1-160)"
  else
    printf 'an unknown process'
  fi
}

# Fail unless <port> is free: used before starting a service we own.
require_free_port() {
  local service="$1" port="$2" env_name="$3"
  if port_in_use "$port"; then
    die "$service" "port $port is in use by $(describe_pid "$(port_pid "$port")"), which is not the stack's $service; stop it or set $env_name"
  fi
}

# Fail unless <port> is free or held by our own <name> (checked before restarting <name> with a new config).
require_port_for() {
  local name="$1" port="$2" env_name="$3" owner
  port_in_use "$port" || return 0
  if owner="$(owned_pid "$name")" && [[ "$(port_pid "$port")" == "$owner" ]]; then
    return 0
  fi
  require_free_port "$name" "$port" "$env_name"
}

# The pid recorded in .stack/run/<name>.pid, if that process is alive and is one of ours.
owned_pid() {
  local pidfile="$RUN_DIR/$1.pid" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  # Pids get reused: it is ours only if its command line (java) or working directory (redis) is in .stack/.
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
    { tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STACK_DIR" ||
      [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$STACK_DIR"* ]]; }; then
    echo "$pid"
    return 0
  fi
  rm -f "$pidfile"
  return 1
}

# Start a long-running process detached from this shell (own session, stdio to its log), record its pid.
start_daemon() {
  local name="$1" logfile="$2"
  shift 2
  [[ -f "$logfile" ]] && mv -f "$logfile" "$logfile.1"
  printf '=== %s started by test/stack/up.sh at %s\n' "$name" "$(date -u +%FT%TZ)" >"$logfile"
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

# Poll `check...` every 0.5 s until it succeeds; fail after <timeout> s, or as soon as <pid> (if given) exits.
wait_until() {
  local service="$1" timeout="$2" logfile="$3" pid="$4"
  shift 4
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      die "$service" "the process exited while starting" "$logfile"
    fi
    if ((SECONDS >= deadline)); then
      die "$service" "not healthy after ${timeout}s (check: $*)" "$logfile"
    fi
    sleep 0.5
  done
}

# SIGTERM the process in .stack/run/<name>.pid, SIGKILL after <timeout> s. Only ever touches our own pid.
stop_owned() {
  local name="$1" timeout="$2" pid
  if ! pid="$(owned_pid "$name")"; then
    return 0
  fi
  log "$name" "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name" "still running after ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$RUN_DIR/$name.pid"
}

# Replace @NAME@ placeholders in a template with the values of shell variables of the same name.
render() {
  local template="$1" out="$2" name content
  content="$(cat "$template")"
  while [[ "$content" =~ @([A-Z_]+)@ ]]; do
    name="${BASH_REMATCH[1]}"
    content="${content//@$name@/${!name}}"
  done
  printf '%s\n' "$content" >"$out.tmp"
  mv -f "$out.tmp" "$out"
}

# ---------------------------------------------------------------------------------------------------------
# The PostgreSQL hot standby (up.sh starts it, down.sh stops it).

# Run a command as the postgres user when we are root: PostgreSQL refuses to run as root. From /, which the
# postgres user can read (the caller's directory may not be).
as_postgres() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# The primary's SQL, as in up.sh: psql on the machine's PostgreSQL.
pg() { PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 "$@"; }

# pg_ctl of the standby's own major version (from its data directory).
standby_pg_ctl() {
  as_postgres "/usr/lib/postgresql/$(cat "$PG_STANDBY_DIR/PG_VERSION")/bin/pg_ctl" -D "$PG_STANDBY_DIR" "$@"
}

# Stop the standby if its data directory has a running server: a fast shutdown (clients are disconnected),
# an immediate one if that does not finish in 30 s.
stop_pg_standby() {
  [[ -f "$PG_STANDBY_DIR/postmaster.pid" ]] || return 0
  standby_pg_ctl status >/dev/null 2>&1 || return 0
  log postgres-standby "stopping (port $PG_STANDBY_PORT)"
  standby_pg_ctl stop -m fast -t 30 >/dev/null 2>&1 ||
    standby_pg_ctl stop -m immediate -t 10 >/dev/null 2>&1 ||
    die postgres-standby "pg_ctl stop failed" "$LOG_DIR/postgres-standby.log"
}
