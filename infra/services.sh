#!/usr/bin/env bash
# infra/services.sh - local PostgreSQL 15 + RabbitMQ for aomori-reform development.
#
# Usage: infra/services.sh [start|stop|status|env]
#   start   (default) install what is missing (apt), start both services bound
#           to 127.0.0.1 only, create role/database, print connection strings.
#           Safe to re-run: running services are reported as "already running".
#   stop    stop PostgreSQL (pg_ctl -m fast) and RabbitMQ (rabbitmqctl shutdown, epmd -kill).
#   status  one line per service; exit 0 if both are up, 3 otherwise.
#   env     print the connection strings as shell exports, e.g.
#             eval "$(infra/services.sh env)"
#
# No systemd needed. Run as root (or a user with sudo). Environment:
#   AOMORI_INFRA_DIR  state dir (default /var/lib/aomori-reform): postgres/ data, run/ socket, log/
#   AOMORI_PG_PORT    PostgreSQL port (default 5432). RabbitMQ always uses 5672.
# Credentials are loopback-only dev defaults: postgres/postgres (superuser),
# aomori/aomori (app role, owns database aomori_reform), guest/guest (RabbitMQ).
set -euo pipefail

INFRA_DIR="${AOMORI_INFRA_DIR:-/var/lib/aomori-reform}"
PG_PORT="${AOMORI_PG_PORT:-5432}"
PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA="$INFRA_DIR/postgres"
PG_RUN="$INFRA_DIR/run"
PG_LOG="$INFRA_DIR/log/postgres.log"
PG_DB=aomori_reform PG_USER=aomori PG_PASS=aomori
RMQ_PORT=5672
RMQ_NODE=rabbit@localhost
RMQ_START_TIMEOUT=90
POLICY_RC=/usr/sbin/policy-rc.d

SUDO=""
[[ $EUID -eq 0 ]] || SUDO=sudo

log() { echo "infra: $*"; }
die() { echo "infra: ERROR: $*" >&2; exit 1; }

# Run a command as the postgres OS user from a readable cwd (initdb/pg_ctl refuse root).
as_postgres() {
  if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@")
  else (cd / && sudo -u postgres -- "$@"); fi
}

# True if something accepts TCP connections on 127.0.0.1:<port>.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# --- apt helpers ---------------------------------------------------------------
APT_UPDATED=0
POLICY_RC_CREATED=0
cleanup() {
  if [[ $POLICY_RC_CREATED -eq 1 ]]; then $SUDO rm -f "$POLICY_RC"; POLICY_RC_CREATED=0; fi
}
trap cleanup EXIT

# apt_install <pkg>: apt-get update (once per run) + install, with a policy-rc.d
# guard so the package's maintainer scripts cannot start the service.
apt_install() {
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\n# temporary, created by aomori infra/services.sh\nexit 101\n' | $SUDO tee "$POLICY_RC" >/dev/null
    $SUDO chmod 755 "$POLICY_RC"
    POLICY_RC_CREATED=1
  fi
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing $1 (apt)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null
  cleanup
}

# --- PostgreSQL ----------------------------------------------------------------
pg_running() { [[ -x $PG_BIN/pg_ctl ]] && as_postgres "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
pg_psql() { as_postgres "$PG_BIN/psql" -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1; }

pg_init() {
  $SUDO install -d -o postgres -g postgres -m 700 "$PG_DATA"
  $SUDO install -d -o postgres -g postgres -m 755 "$PG_RUN" "$INFRA_DIR/log"
  if ! as_postgres test -f "$PG_DATA/PG_VERSION"; then
    local locale=C.UTF-8 pwfile
    locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || locale=C
    log "initdb $PG_DATA (locale $locale)"
    pwfile=$(mktemp)
    echo postgres >"$pwfile"
    $SUDO chown postgres "$pwfile"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" \
      --encoding=UTF8 --locale="$locale" --auth-local=peer --auth-host=scram-sha-256 >/dev/null \
      || { $SUDO rm -f "$pwfile"; die "initdb failed"; }
    $SUDO rm -f "$pwfile"
  fi
  # Our settings live in aomori.conf (rewritten on every start so the port can change).
  as_postgres tee "$PG_DATA/aomori.conf" >/dev/null <<EOF
# Managed by infra/services.sh - rewritten on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 300
shared_buffers = 256MB
EOF
  if ! as_postgres grep -q "^include_if_exists = 'aomori.conf'" "$PG_DATA/postgresql.conf"; then
    echo "include_if_exists = 'aomori.conf'" | as_postgres tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
}

pg_start() {
  if [[ ! -x $PG_BIN/pg_ctl ]]; then apt_install postgresql-15; fi
  getent passwd postgres >/dev/null || die "OS user 'postgres' is missing (broken postgresql-15 install?)"
  if pg_running; then
    local running_port
    running_port=$(as_postgres sed -n 4p "$PG_DATA/postmaster.pid")
    [[ $running_port == "$PG_PORT" ]] \
      || die "our PostgreSQL cluster is running on port $running_port, not $PG_PORT; run '$0 stop' first"
    log "postgresql already running (127.0.0.1:$PG_PORT)"
  else
    port_open "$PG_PORT" && die "port $PG_PORT on 127.0.0.1 is in use by something that is not our cluster ($PG_DATA)"
    pg_init
    log "starting postgresql on 127.0.0.1:$PG_PORT"
    as_postgres "$PG_BIN/pg_ctl" start -w -t 60 -D "$PG_DATA" -l "$PG_LOG" >/dev/null \
      || { tail -n 20 "$PG_LOG" >&2 || true; die "postgresql failed to start (log: $PG_LOG)"; }
  fi
  # Role + database, idempotent.
  pg_psql <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$PG_USER', '$PG_PASS')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DB', '$PG_USER')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB') \gexec
SQL
  log "postgresql ready: role $PG_USER, database $PG_DB"
}

pg_stop() {
  if pg_running; then
    log "stopping postgresql"
    as_postgres "$PG_BIN/pg_ctl" stop -w -m fast -D "$PG_DATA" >/dev/null
  else
    log "postgresql not running"
  fi
}

# --- RabbitMQ ------------------------------------------------------------------
# Every Erlang CLI call gets ERL_EPMD_ADDRESS too: if epmd is not running yet, the
# CLI starts it, and it would otherwise listen on 0.0.0.0/[::].
rmq_ctl() { $SUDO env ERL_EPMD_ADDRESS=127.0.0.1 rabbitmqctl -n "$RMQ_NODE" "$@"; }
rmq_ours() { rmq_ctl -q ping >/dev/null 2>&1; }
# Node registered with epmd? ("epmd -names" never starts an epmd itself.)
rmq_registered() { epmd -names 2>/dev/null | grep -q "^name ${RMQ_NODE%@*} "; }

rmq_start() {
  if ! command -v rabbitmq-server >/dev/null && [[ ! -x /usr/sbin/rabbitmq-server ]]; then
    apt_install rabbitmq-server
  fi
  if port_open "$RMQ_PORT"; then
    rmq_ours || die "port $RMQ_PORT on 127.0.0.1 is in use by something that is not our RabbitMQ node ($RMQ_NODE)"
    log "rabbitmq already running (127.0.0.1:$RMQ_PORT)"
    return 0
  fi
  if rmq_registered; then
    log "rabbitmq node is up but port $RMQ_PORT is not open yet; waiting"
  else
    log "starting rabbitmq ($RMQ_NODE) on 127.0.0.1:$RMQ_PORT"
    local out; out=$(mktemp)
    # The Debian wrapper switches to the rabbitmq user with su, which keeps this environment.
    $SUDO env ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_NODENAME="$RMQ_NODE" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
      rabbitmq-server -detached </dev/null >"$out" 2>&1 \
      || { cat "$out" >&2; rm -f "$out"; die "rabbitmq-server -detached failed"; }
    rm -f "$out"
  fi
  local waited=0
  until port_open "$RMQ_PORT"; do
    if (( waited >= RMQ_START_TIMEOUT )); then
      $SUDO tail -n 30 "/var/log/rabbitmq/$RMQ_NODE.log" >&2 || true
      die "rabbitmq did not open port $RMQ_PORT within ${RMQ_START_TIMEOUT}s (logs: /var/log/rabbitmq/)"
    fi
    sleep 1; waited=$((waited + 1))
  done
  log "rabbitmq ready after ${waited}s"
}

rmq_stop() {
  if ! command -v rabbitmqctl >/dev/null && [[ ! -x /usr/sbin/rabbitmqctl ]]; then
    log "rabbitmq not installed"; return 0
  fi
  if rmq_registered || port_open "$RMQ_PORT"; then
    log "stopping rabbitmq"
    rmq_ctl -q shutdown >/dev/null 2>&1 || log "rabbitmqctl shutdown failed (node $RMQ_NODE not reachable?)"
  else
    log "rabbitmq not running"
  fi
  epmd -kill >/dev/null 2>&1 || true
}

# --- commands ------------------------------------------------------------------
print_env() {
  echo "export ConnectionStrings__Postgres=\"Host=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Username=$PG_USER;Password=$PG_PASS\""
  echo "export ConnectionStrings__RabbitMq=\"amqp://guest:guest@127.0.0.1:$RMQ_PORT/\""
}

cmd_status() {
  local rc=0
  if pg_running && port_open "$PG_PORT"; then echo "postgresql: up (127.0.0.1:$PG_PORT)"
  else echo "postgresql: down"; rc=3; fi
  if port_open "$RMQ_PORT"; then echo "rabbitmq: up (127.0.0.1:$RMQ_PORT)"
  else echo "rabbitmq: down"; rc=3; fi
  return $rc
}

export PATH="$PATH:/usr/sbin:/sbin"
case "${1:-start}" in
  start)  pg_start; rmq_start; print_env ;;
  stop)   rmq_stop; pg_stop ;;
  status) cmd_status ;;
  env)    print_env ;;
  -h|--help|help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (use start|stop|status|env)" ;;
esac
