#!/usr/bin/env bash
# Stop what test/stack/up.sh started (Kafka Connect, Kafka, DynamoDB Local, the Redis Cluster nodes, the
# PostgreSQL standby), each within a bound. The machine's Redis, PostgreSQL and MariaDB keep running.
# `npm run stack:down -- --clean` also deletes their data (.stack/data), e.g. to start Kafka from empty.
set -euo pipefail
# shellcheck source=test/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clean=0
for arg in "$@"; do
  case "$arg" in
  --clean) clean=1 ;;
  *) die stack "unknown argument '$arg' (expected: --clean)" ;;
  esac
done

# Connect first, so that it does not spin on a broker that went away.
stop_owned connect 30
stop_owned kafka 60
stop_owned dynamodb 20
for pidfile in "$RUN_DIR"/redis-cluster-*.pid; do
  [[ -e "$pidfile" ]] || continue
  stop_owned "$(basename "$pidfile" .pid)" 10
done
stop_pg_standby
# A slot nobody streams from would keep the primary's WAL forever: the next stack:up makes a new base backup.
pg -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$PG_STANDBY_SLOT' AND NOT active" \
  >/dev/null 2>&1 || log postgres-standby "could not drop slot $PG_STANDBY_SLOT on 127.0.0.1:$PG_PORT (primary down?)"
rm -f "$RUN_DIR"/*.fingerprint

if ((clean)); then
  rm -rf "$DATA_DIR"
  log stack "deleted $DATA_DIR"
fi
log stack "down (machine services left running: Redis $REDIS_PORT, PostgreSQL $PG_PORT, MariaDB $MARIADB_PORT)"
