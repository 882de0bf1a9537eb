#!/usr/bin/env bash
# Start the local test/dev services stack, or check it (npm run stack:up; `npm run stack:up -- postgres-standby`
# for only some services). Idempotent: a healthy service is left alone, so a second run takes seconds. Every
# wait is bounded; a failure names the service and its log.
# Logs, data, configs, jars and pid files live in .stack/ (git-ignored). Ports: see README.md, "Services stack".
set -euo pipefail
# shellcheck source=test/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_HEAP="768m"
CONNECT_HEAP="1g"
DYNAMODB_HEAP="512m"
PG_MIN_SLOTS=20 # one replication slot per Debezium Postgres connector; tests run several at once

JAVA_OPTS=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true)
PLUGIN_PROFILES=(debezium-postgres debezium-mariadb debezium-mysql)

preflight() {
  require_cmd java java "install a JDK 17, e.g. apt-get install openjdk-17-jdk-headless"
  for cmd in redis-server redis-cli; do require_cmd redis "$cmd" "apt-get install redis-server"; done
  for cmd in psql pg_isready pg_ctlcluster pg_lsclusters; do require_cmd postgresql "$cmd" "apt-get install postgresql"; done
  for cmd in mariadb mariadb-admin my_print_defaults; do require_cmd mariadb "$cmd" "apt-get install mariadb-server"; done
  for cmd in curl ss setsid timeout sha256sum; do require_cmd stack "$cmd" "a base system tool"; done
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$DATA_DIR" "$CONF_DIR"
}

# A short hash of a file's content (or of stdin).
short_hash() { sha256sum "$@" | cut -c1-16; }

# ---------------------------------------------------------------------------------------------------------
# Jars: resolved from Maven Central into ~/.m2 by test/stack/pom.xml, copied to .stack/lib, reused while the
# pom is unchanged.
ensure_jars() {
  local pom="$STACK_SRC/pom.xml" hash
  hash="$(short_hash "$pom")"
  if [[ -f "$LIB_DIR/.pom-hash" && "$(cat "$LIB_DIR/.pom-hash")" == "$hash" ]]; then
    log jars "reusing .stack/lib (pom unchanged)"
    return
  fi
  require_cmd maven mvn "install Maven 3.8+, e.g. apt-get install maven"
  # Running JVMs hold the old jars: stop them before replacing the folder.
  stop_owned connect 30
  stop_owned kafka 60
  local logfile="$LOG_DIR/maven.log" staging="$LIB_DIR.staging"
  rm -rf "$staging"
  : >"$logfile"
  log jars "resolving Kafka and Debezium jars with Maven (log: $logfile)"
  mvn_copy kafka "$staging/kafka"
  for profile in "${PLUGIN_PROFILES[@]}"; do
    mvn_copy "$profile" "$staging/plugins/$profile"
  done
  echo "$hash" >"$staging/.pom-hash"
  rm -rf "$LIB_DIR"
  mv "$staging" "$LIB_DIR"
}

mvn_copy() {
  local profile="$1" out="$2"
  mvn -B -q -f "$STACK_SRC/pom.xml" -P "$profile" dependency:copy-dependencies \
    -DoutputDirectory="$out" >>"$LOG_DIR/maven.log" 2>&1 ||
    die maven "mvn could not resolve profile '$profile' from test/stack/pom.xml" "$LOG_DIR/maven.log"
}

# ---------------------------------------------------------------------------------------------------------
# Our own processes (Kafka, Connect, DynamoDB Local, Redis Cluster nodes) carry a fingerprint of their jars
# and config; a running one whose fingerprint changed is restarted, an unchanged one is left alone.
running_with() {
  local name="$1" fingerprint="$2" pid
  pid="$(owned_pid "$name")" || return 1
  if [[ "$(cat "$RUN_DIR/$name.fingerprint" 2>/dev/null)" == "$fingerprint" ]]; then
    log "$name" "already running (pid $pid)"
    return 0
  fi
  log "$name" "config or jars changed: restarting"
  stop_owned "$name" 60
  return 1
}

# A Kafka broker answers an ApiVersions v0 request (correlation id 42) with error code 0.
kafka_answers() {
  local reply
  reply="$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x2a\xff\xff' >&3 && head -c 10 <&3 | od -An -tx1" 2>/dev/null)" || return 1
  reply="${reply//[[:space:]]/}"
  [[ "${reply:8:12}" == "0000002a0000" ]]
}

start_kafka() {
  local logfile="$LOG_DIR/kafka.log" fingerprint
  KAFKA_DATA_DIR="$DATA_DIR/kafka"
  render "$STACK_SRC/conf/kafka-server.properties" "$CONF_DIR/kafka-server.properties"
  cp "$STACK_SRC/conf/log4j2.properties" "$CONF_DIR/log4j2.properties"
  fingerprint="$(cat "$LIB_DIR/.pom-hash" "$CONF_DIR/kafka-server.properties" "$CONF_DIR/log4j2.properties" | short_hash)"
  require_port_for kafka "$KAFKA_PORT" STACK_KAFKA_PORT
  require_port_for kafka "$KAFKA_CONTROLLER_PORT" STACK_KAFKA_CONTROLLER_PORT
  require_port_for kafka "$KAFKA_SASL_PORT" STACK_KAFKA_SASL_PORT
  running_with kafka "$fingerprint" && return
  require_free_port kafka "$KAFKA_PORT" STACK_KAFKA_PORT
  require_free_port kafka "$KAFKA_CONTROLLER_PORT" STACK_KAFKA_CONTROLLER_PORT
  require_free_port kafka "$KAFKA_SASL_PORT" STACK_KAFKA_SASL_PORT
  local classpath=(-cp "$LIB_DIR/kafka/*" -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties")
  if [[ ! -f "$KAFKA_DATA_DIR/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    log kafka "formatting storage in $KAFKA_DATA_DIR (cluster id $cluster_id)"
    mkdir -p "$KAFKA_DATA_DIR"
    timeout 60 java "${classpath[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$CONF_DIR/kafka-server.properties" >"$LOG_DIR/kafka-format.log" 2>&1 ||
      die kafka "StorageTool format failed" "$LOG_DIR/kafka-format.log"
  fi
  log kafka "starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, SASL/SCRAM $KAFKA_SASL_PORT)"
  start_daemon kafka "$logfile" java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" "${JAVA_OPTS[@]}" "${classpath[@]}" \
    kafka.Kafka "$CONF_DIR/kafka-server.properties"
  echo "$fingerprint" >"$RUN_DIR/kafka.fingerprint"
}

connect_healthy() {
  local base="http://127.0.0.1:$CONNECT_PORT" plugins
  plugins="$(curl -fsS --max-time 3 "$base/connector-plugins")" || return 1
  [[ "$plugins" == *io.debezium.connector.postgresql.PostgresConnector* ]] || return 1
  [[ "$plugins" == *io.debezium.connector.mariadb.MariaDbConnector* ]] || return 1
  # /connectors answers 200 only once the worker has joined its group and read the config topic.
  curl -fsS --max-time 3 "$base/connectors" >/dev/null
}

start_connect() {
  local logfile="$LOG_DIR/connect.log" fingerprint
  PLUGIN_PATH="$LIB_DIR/plugins"
  render "$STACK_SRC/conf/connect-distributed.properties" "$CONF_DIR/connect-distributed.properties"
  fingerprint="$(cat "$LIB_DIR/.pom-hash" "$CONF_DIR/connect-distributed.properties" "$CONF_DIR/log4j2.properties" | short_hash)"
  require_port_for connect "$CONNECT_PORT" STACK_CONNECT_PORT
  running_with connect "$fingerprint" && return
  require_free_port connect "$CONNECT_PORT" STACK_CONNECT_PORT
  log connect "starting on http://127.0.0.1:$CONNECT_PORT (plugins: ${PLUGIN_PROFILES[*]})"
  start_daemon connect "$logfile" java -Xms256m -Xmx"$CONNECT_HEAP" "${JAVA_OPTS[@]}" \
    -cp "$LIB_DIR/kafka/*" -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" \
    org.apache.kafka.connect.cli.ConnectDistributed "$CONF_DIR/connect-distributed.properties"
  echo "$fingerprint" >"$RUN_DIR/connect.fingerprint"
}

# ---------------------------------------------------------------------------------------------------------
# DynamoDB Local: copied out of node_modules so that a later `npm ci` cannot pull the jar from under it.
DYNAMODB_HOME="$STACK_DIR/dynamodb-local"

ensure_dynamodb_files() {
  local source="$REPO_ROOT/node_modules/amplify-dynamodb-simulator/emulator" version
  if [[ -f "$source/DynamoDBLocal.jar" ]] && ! cmp -s "$source/sha256" "$DYNAMODB_HOME/sha256"; then
    rm -rf "$DYNAMODB_HOME.staging"
    cp -R "$source" "$DYNAMODB_HOME.staging"
    rm -rf "$DYNAMODB_HOME"
    mv "$DYNAMODB_HOME.staging" "$DYNAMODB_HOME"
  fi
  [[ -f "$DYNAMODB_HOME/DynamoDBLocal.jar" ]] ||
    die dynamodb "no DynamoDB Local jar: run npm ci first (it comes with the amplify-dynamodb-simulator devDependency)"
  version="$(unzip -p "$DYNAMODB_HOME/DynamoDBLocal.jar" META-INF/maven/com/amazonaws/DynamoDBLocal/pom.properties 2>/dev/null | sed -n 's/^version=//p' | tr -d '\r')"
  [[ "$version" == "$DYNAMODB_LOCAL_VERSION" ]] ||
    die dynamodb "DynamoDB Local is ${version:-of unknown version}, expected $DYNAMODB_LOCAL_VERSION (update DYNAMODB_LOCAL_VERSION in test/stack/lib.sh with the lock file)"
}

# ListTables with dummy credentials: DynamoDB Local checks that a signature is present, not that it is valid.
dynamodb_healthy() {
  curl -fsS --max-time 3 -X POST "http://127.0.0.1:$DYNAMODB_PORT/" \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=cdccache/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' | grep -q TableNames
}

start_dynamodb() {
  local fingerprint
  fingerprint="$(printf '%s %s' "$(cat "$DYNAMODB_HOME/sha256")" "$DYNAMODB_PORT" | short_hash)"
  require_port_for dynamodb "$DYNAMODB_PORT" STACK_DYNAMODB_PORT
  running_with dynamodb "$fingerprint" && return
  require_free_port dynamodb "$DYNAMODB_PORT" STACK_DYNAMODB_PORT
  log dynamodb "starting DynamoDB Local $DYNAMODB_LOCAL_VERSION on http://127.0.0.1:$DYNAMODB_PORT"
  # -sharedDb: one database whatever the access key and region, so the worker and the tests see the same tables.
  (cd "$DYNAMODB_HOME" && start_daemon dynamodb "$LOG_DIR/dynamodb.log" java -Xmx"$DYNAMODB_HEAP" "${JAVA_OPTS[@]}" \
    -Djava.library.path="$DYNAMODB_HOME/DynamoDBLocal_lib" -jar "$DYNAMODB_HOME/DynamoDBLocal.jar" \
    -inMemory -sharedDb -port "$DYNAMODB_PORT" -disableTelemetry)
  echo "$fingerprint" >"$RUN_DIR/dynamodb.fingerprint"
}

# ---------------------------------------------------------------------------------------------------------
# Redis: the machine's server. Started (with the machine's own command line) only when it is down.
redis_pings() { [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]; }

ensure_redis() {
  ln -sfn /var/log/redis/ci.log "$LOG_DIR/redis.log"
  if redis_pings "$REDIS_PORT"; then
    log redis "running on 127.0.0.1:$REDIS_PORT"
    return
  fi
  if port_in_use "$REDIS_PORT"; then
    die redis "port $REDIS_PORT is in use by $(describe_pid "$(port_pid "$REDIS_PORT")"), which does not answer Redis PING; stop it or set STACK_REDIS_PORT"
  fi
  log redis "down: starting the machine's redis-server on 127.0.0.1:$REDIS_PORT"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null ||
    die redis "redis-server did not start" /var/log/redis/ci.log
  wait_until redis 20 /var/log/redis/ci.log "" redis_pings "$REDIS_PORT"
}

# Redis Cluster: three masters of our own, no persistence, state under .stack/data/redis-cluster/<port>.
cluster_field() { timeout 3 redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

cluster_ok() {
  local port
  for port in "${REDIS_CLUSTER_PORT_LIST[@]}"; do
    [[ "$(cluster_field "$port" cluster_state)" == ok ]] || return 1
    [[ "$(cluster_field "$port" cluster_known_nodes)" == "${#REDIS_CLUSTER_PORT_LIST[@]}" ]] || return 1
  done
}

ensure_redis_cluster() {
  local logfile="$LOG_DIR/redis-cluster.log" port name dir
  ((${#REDIS_CLUSTER_PORT_LIST[@]} == 3)) || die redis-cluster "STACK_REDIS_CLUSTER_PORTS must list 3 ports, got '$REDIS_CLUSTER_PORTS'"
  for port in "${REDIS_CLUSTER_PORT_LIST[@]}"; do
    name="redis-cluster-$port"
    dir="$DATA_DIR/redis-cluster/$port"
    owned_pid "$name" >/dev/null && continue
    require_free_port redis-cluster "$port" STACK_REDIS_CLUSTER_PORTS
    require_free_port redis-cluster "$((port + 10000))" "STACK_REDIS_CLUSTER_PORTS (port + 10000 is the cluster bus)"
    mkdir -p "$dir"
    (cd "$dir" && start_daemon "$name" "$LOG_DIR/$name.log" redis-server --port "$port" --bind 127.0.0.1 \
      --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 5000 \
      --dir "$dir" --save "" --appendonly no --logfile "")
    wait_until redis-cluster 20 "$LOG_DIR/$name.log" "$(cat "$RUN_DIR/$name.pid")" redis_pings "$port"
  done
  if cluster_ok; then
    log redis-cluster "cluster_state:ok on ${REDIS_CLUSTER_PORTS}"
    return
  fi
  # A node restarted from its nodes.conf rejoins on its own within a few seconds.
  local deadline=$((SECONDS + 8))
  while ((SECONDS < deadline)) && [[ "$(cluster_field "${REDIS_CLUSTER_PORT_LIST[0]}" cluster_slots_assigned)" == 16384 ]]; do
    cluster_ok && { log redis-cluster "cluster_state:ok on ${REDIS_CLUSTER_PORTS}"; return; }
    sleep 0.5
  done
  log redis-cluster "creating the cluster on ${REDIS_CLUSTER_PORTS} (log: $logfile)"
  local nodes=()
  for port in "${REDIS_CLUSTER_PORT_LIST[@]}"; do
    # Start from empty nodes: data is disposable (no persistence) and a half-formed cluster cannot be joined.
    timeout 5 redis-cli -h 127.0.0.1 -p "$port" flushall >>"$logfile" 2>&1 || true
    timeout 5 redis-cli -h 127.0.0.1 -p "$port" cluster reset hard >>"$logfile" 2>&1 || true
    nodes+=("127.0.0.1:$port")
  done
  timeout 60 redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >>"$logfile" 2>&1 ||
    die redis-cluster "redis-cli --cluster create failed" "$logfile"
  wait_until redis-cluster 30 "$logfile" "" cluster_ok
  log redis-cluster "cluster_state:ok on ${REDIS_CLUSTER_PORTS}"
}

# ---------------------------------------------------------------------------------------------------------
# PostgreSQL: the machine's cluster, configured for logical decoding; restarted only when a setting changed.
# (pg, the primary's psql, is in lib.sh: down.sh uses it too.)
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }
# Debezium streams over a logical replication connection, the standby over a physical one; pg_hba.conf
# matches the two differently (a logical one as its database, a physical one only as `replication`).
pg_replication_allowed() {
  local kind
  for kind in database true; do
    PGCONNECT_TIMEOUT=5 psql "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres replication=$kind" \
      -XAtqc IDENTIFY_SYSTEM >/dev/null 2>&1 || return 1
  done
}

ensure_postgres() {
  local version cluster logfile line
  line="$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port' | head -n1)"
  if [[ -n "$line" ]]; then
    read -r version cluster _ _ _ _ logfile <<<"$line"
  else
    version="$(ls /etc/postgresql | sort -V | tail -n1)" cluster=main
    logfile="/var/log/postgresql/postgresql-$version-$cluster.log"
  fi
  ln -sfn "$logfile" "$LOG_DIR/postgresql.log"
  local ctl=(timeout 90 pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster")

  if ! pg_ready; then
    if port_in_use "$PG_PORT"; then
      die postgresql "port $PG_PORT is in use by $(describe_pid "$(port_pid "$PG_PORT")"), which is not PostgreSQL; stop it or set STACK_PG_PORT"
    fi
    log postgresql "down: starting cluster $version/$cluster"
    "${ctl[@]}" start >/dev/null 2>&1 || die postgresql "pg_ctlcluster $version $cluster start failed" "$logfile"
    wait_until postgresql 60 "$logfile" "" pg_ready
  fi

  local restart=0
  if [[ "$(pg -c 'SHOW wal_level')" != logical ]]; then
    pg -c "ALTER SYSTEM SET wal_level = logical" >/dev/null
    restart=1
  fi
  local setting
  for setting in max_replication_slots max_wal_senders; do
    if (($(pg -c "SHOW $setting") < PG_MIN_SLOTS)); then
      pg -c "ALTER SYSTEM SET $setting = $PG_MIN_SLOTS" >/dev/null
      restart=1
    fi
  done
  if ((restart)); then
    log postgresql "restarting $version/$cluster for wal_level=logical, $PG_MIN_SLOTS replication slots"
    "${ctl[@]}" restart >/dev/null 2>&1 || die postgresql "pg_ctlcluster $version $cluster restart failed" "$logfile"
    wait_until postgresql 60 "$logfile" "" pg_ready
    [[ "$(pg -c 'SHOW wal_level')" == logical ]] || die postgresql "wal_level is still not logical after the restart" "$logfile"
  fi

  if ! pg_replication_allowed; then
    local hba
    hba="$(pg -c 'SHOW hba_file')"
    log postgresql "allowing replication connections from 127.0.0.1 in $hba"
    printf '# Added by cdc-cache test/stack/up.sh: Debezium and the standby stream over replication connections.\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
    pg -c 'SELECT pg_reload_conf()' >/dev/null
    wait_until postgresql 10 "$logfile" "" pg_replication_allowed
  fi

  if [[ -z "$(pg -c "SELECT 1 FROM pg_database WHERE datname = '$TEST_DATABASE'")" ]]; then
    pg -c "CREATE DATABASE $TEST_DATABASE" >/dev/null
  fi
  log postgresql "ready on 127.0.0.1:$PG_PORT (wal_level=logical, database $TEST_DATABASE)"
}

# ---------------------------------------------------------------------------------------------------------
# PostgreSQL hot standby: a second server of our own (data in .stack/data/postgres-standby), a pg_basebackup of
# the machine's cluster streaming from it through a physical slot, each commit applied PG_STANDBY_APPLY_DELAY
# after the primary's. Tests point loaders at it to read a replica that really lags. A standby that streams
# with the current config is left alone; one that does not is restarted, or rebuilt when it cannot catch up.
PG_STANDBY_APPLY_DELAY="300ms"

standby_sql() {
  PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p "$PG_STANDBY_PORT" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 "$@"
}

# In recovery, streaming through our slot, from the cluster with system identifier $1.
standby_streaming() {
  [[ "$(standby_sql -c "SELECT pg_is_in_recovery()
      AND (SELECT system_identifier FROM pg_control_system()) = $1
      AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming' AND slot_name = '$PG_STANDBY_SLOT')")" == t ]]
}

# A stopped standby can restart from its data directory only if it is a copy of this primary of the same
# major version and its slot still holds the WAL it needs.
standby_reusable() {
  local version="$1" sysid="$2"
  [[ "$(cat "$PG_STANDBY_DIR/PG_VERSION" 2>/dev/null)" == "$version" ]] || return 1
  [[ "$(as_postgres "/usr/lib/postgresql/$version/bin/pg_controldata" "$PG_STANDBY_DIR" 2>/dev/null |
    sed -n 's/^Database system identifier: *//p')" == "$sysid" ]] || return 1
  [[ -n "$(pg -c "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$PG_STANDBY_SLOT' AND restart_lsn IS NOT NULL")" ]]
}

rebuild_pg_standby() {
  local bin="$1" logfile="$LOG_DIR/postgres-standby-basebackup.log"
  log postgres-standby "creating it with pg_basebackup from 127.0.0.1:$PG_PORT (slot $PG_STANDBY_SLOT, log: $logfile)"
  rm -rf "$PG_STANDBY_DIR"
  # The slot keeps every WAL segment the standby has not received yet, from before the backup starts.
  pg -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$PG_STANDBY_SLOT' AND NOT active" >/dev/null
  pg -c "SELECT pg_create_physical_replication_slot('$PG_STANDBY_SLOT', true)" >/dev/null ||
    die postgres-standby "could not create the physical slot $PG_STANDBY_SLOT on 127.0.0.1:$PG_PORT (max_replication_slots?)"
  mkdir -p "$PG_STANDBY_DIR"
  chown postgres: "$PG_STANDBY_DIR" 2>/dev/null || true
  chmod 700 "$PG_STANDBY_DIR"
  touch "$logfile" && chown postgres: "$logfile" 2>/dev/null || true
  as_postgres timeout 120 "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -w -D "$PG_STANDBY_DIR" \
    -S "$PG_STANDBY_SLOT" -X stream -c fast >"$logfile" 2>&1 ||
    die postgres-standby "pg_basebackup from 127.0.0.1:$PG_PORT failed" "$logfile"
  # The primary's ALTER SYSTEM settings (wal_level, its port...) must not override the standby's own.
  : >"$PG_STANDBY_DIR/postgresql.auto.conf"
  touch "$PG_STANDBY_DIR/standby.signal" "$PG_STANDBY_DIR/pg_ident.conf"
  chown postgres: "$PG_STANDBY_DIR"/{postgresql.auto.conf,standby.signal,pg_ident.conf} 2>/dev/null || true
}

ensure_pg_standby() {
  local version sysid bin logfile="$LOG_DIR/postgres-standby.log"
  version="$(($(pg -c 'SHOW server_version_num') / 10000))"
  sysid="$(pg -c 'SELECT system_identifier FROM pg_control_system()')"
  bin="/usr/lib/postgresql/$version/bin"
  [[ -x "$bin/pg_ctl" && -x "$bin/pg_basebackup" ]] ||
    die postgres-standby "no $bin/pg_ctl or pg_basebackup: the standby runs the primary's PostgreSQL $version binaries (apt-get install postgresql-$version)"
  local PG_MAX_CONNECTIONS PG_MAX_WORKER_PROCESSES PG_MAX_WAL_SENDERS PG_MAX_PREPARED_TRANSACTIONS PG_MAX_LOCKS_PER_TRANSACTION
  read -r PG_MAX_CONNECTIONS PG_MAX_WORKER_PROCESSES PG_MAX_WAL_SENDERS PG_MAX_PREPARED_TRANSACTIONS PG_MAX_LOCKS_PER_TRANSACTION \
    <<<"$(pg -F ' ' -c "SELECT current_setting('max_connections'), current_setting('max_worker_processes'),
      current_setting('max_wal_senders'), current_setting('max_prepared_transactions'),
      current_setting('max_locks_per_transaction')")"
  render "$STACK_SRC/conf/postgres-standby.conf" "$CONF_DIR/postgres-standby.conf"
  printf '# Rendered by test/stack/up.sh: trust on loopback only (no Unix socket).\nhost all all 127.0.0.1/32 trust\n' \
    >"$CONF_DIR/postgres-standby-hba.conf"

  if port_in_use "$PG_STANDBY_PORT"; then
    if [[ "$(standby_sql -c 'SHOW data_directory' 2>/dev/null)" != "$PG_STANDBY_DIR" ]]; then
      die postgres-standby "port $PG_STANDBY_PORT is in use by $(describe_pid "$(port_pid "$PG_STANDBY_PORT")"), which is not this stack's standby; stop it or set STACK_PG_STANDBY_PORT"
    fi
    # A test that died while it froze replay (pg_wal_replay_pause) must not leave the standby frozen.
    if [[ "$(standby_sql -c 'SELECT pg_is_wal_replay_paused()' 2>/dev/null)" == t ]]; then
      log postgres-standby "replay was paused: resuming it"
      standby_sql -c 'SELECT pg_wal_replay_resume()' >/dev/null
    fi
    if cmp -s "$CONF_DIR/postgres-standby.conf" "$PG_STANDBY_DIR/postgresql.conf" && standby_streaming "$sysid"; then
      log postgres-standby "streaming on 127.0.0.1:$PG_STANDBY_PORT (replay delay $PG_STANDBY_APPLY_DELAY)"
      return
    fi
    log postgres-standby "config changed or not streaming: restarting"
    stop_pg_standby
  fi
  standby_reusable "$version" "$sysid" || rebuild_pg_standby "$bin"

  install -o postgres -g postgres -m 600 "$CONF_DIR/postgres-standby.conf" "$PG_STANDBY_DIR/postgresql.conf" 2>/dev/null ||
    install -m 600 "$CONF_DIR/postgres-standby.conf" "$PG_STANDBY_DIR/postgresql.conf"
  install -o postgres -g postgres -m 600 "$CONF_DIR/postgres-standby-hba.conf" "$PG_STANDBY_DIR/pg_hba.conf" 2>/dev/null ||
    install -m 600 "$CONF_DIR/postgres-standby-hba.conf" "$PG_STANDBY_DIR/pg_hba.conf"
  [[ -f "$logfile" ]] && mv -f "$logfile" "$logfile.1"
  printf '=== postgres-standby started by test/stack/up.sh at %s\n' "$(date -u +%FT%TZ)" >"$logfile"
  chown postgres: "$logfile" 2>/dev/null || true
  log postgres-standby "starting on 127.0.0.1:$PG_STANDBY_PORT (hot standby of 127.0.0.1:$PG_PORT)"
  standby_pg_ctl -l "$logfile" -w -t 60 start >/dev/null 2>&1 ||
    die postgres-standby "pg_ctl start failed" "$logfile"
  wait_until postgres-standby 60 "$logfile" "" standby_streaming "$sysid"
  log postgres-standby "streaming on 127.0.0.1:$PG_STANDBY_PORT (replay delay $PG_STANDBY_APPLY_DELAY)"
}

# ---------------------------------------------------------------------------------------------------------
# MariaDB: the machine's server with a row binlog; restarted only when the binlog settings are not in effect.
MARIADB_CONF=/etc/mysql/mariadb.conf.d/60-cdc-cache-binlog.cnf
MARIADB_WANT="1 ROW FULL 1"

maria() { mariadb -h 127.0.0.1 -P "$MARIADB_PORT" -u root --connect-timeout=5 -NBe "$@"; }
maria_ready() { mariadb-admin -h 127.0.0.1 -P "$MARIADB_PORT" -u root --connect-timeout=2 ping >/dev/null 2>&1; }
maria_settings() { maria 'SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id' | tr '\t' ' '; }

start_mariadb() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null ||
    die mariadb "start-stop-daemon could not start mariadbd" "$1"
  wait_until mariadb 60 "$1" "" maria_ready
}

ensure_mariadb() {
  local logfile
  logfile="$(my_print_defaults --mysqld | sed -n 's/^--log[-_]error=//p' | tail -n1)"
  logfile="${logfile:-/var/log/mysql/error.log}"
  ln -sfn "$logfile" "$LOG_DIR/mariadb.log"

  if ! maria_ready; then
    if port_in_use "$MARIADB_PORT"; then
      die mariadb "port $MARIADB_PORT is in use by $(describe_pid "$(port_pid "$MARIADB_PORT")"), which is not MariaDB; stop it or set STACK_MARIADB_PORT"
    fi
    log mariadb "down: starting mariadbd"
    start_mariadb "$logfile"
  fi

  if [[ "$(maria_settings)" != "$MARIADB_WANT" ]]; then
    mkdir -p "$(dirname "$MARIADB_CONF")"
    cp "$STACK_SRC/conf/mariadb-cdc.cnf" "$MARIADB_CONF"
    # Debian's stock my.cnf includes mariadb.conf.d/; a trimmed one may not.
    if ! my_print_defaults --mysqld | grep -qx -- '--binlog_format=ROW'; then
      log mariadb "adding !includedir $(dirname "$MARIADB_CONF")/ to /etc/mysql/my.cnf"
      printf '\n# Added by cdc-cache test/stack/up.sh\n!includedir %s/\n' "$(dirname "$MARIADB_CONF")" >>/etc/mysql/my.cnf
    fi
    log mariadb "restarting mariadbd for a row binlog ($MARIADB_CONF)"
    local pid
    pid="$(port_pid "$MARIADB_PORT")"
    mariadb-admin -h 127.0.0.1 -P "$MARIADB_PORT" -u root --connect-timeout=5 shutdown >/dev/null 2>&1 ||
      die mariadb "mariadb-admin shutdown failed" "$logfile"
    if [[ -n "$pid" ]]; then
      wait_until mariadb 60 "$logfile" "" bash -c "! kill -0 $pid 2>/dev/null"
    fi
    start_mariadb "$logfile"
    [[ "$(maria_settings)" == "$MARIADB_WANT" ]] ||
      die mariadb "binlog settings not in effect after restart (log_bin binlog_format binlog_row_image server_id = $(maria_settings))" "$logfile"
  fi

  maria "CREATE DATABASE IF NOT EXISTS $TEST_DATABASE"
  log mariadb "ready on 127.0.0.1:$MARIADB_PORT (row binlog, database $TEST_DATABASE)"
}

# The pid of one of our services, or stop here if it already exited.
alive() { owned_pid "$1" || die "$1" "the process exited right after it started" "$LOG_DIR/$1.log"; }

# ---------------------------------------------------------------------------------------------------------
# `up.sh <service>...`: start or check only these machine-level services (and what they need).
main_only() {
  local service
  for service in "$@"; do
    case "$service" in
    redis) ensure_redis ;;
    redis-cluster) ensure_redis_cluster ;;
    postgresql) ensure_postgres ;;
    postgres-standby) ensure_postgres && ensure_pg_standby ;;
    mariadb) ensure_mariadb ;;
    *) die stack "unknown service '$service' (expected none for all, or some of: redis redis-cluster postgresql postgres-standby mariadb)" ;;
    esac
  done
  log stack "checked $* in ${SECONDS}s (logs: .stack/logs/)"
}

main() {
  preflight
  if (($# > 0)); then
    main_only "$@"
    return
  fi
  ensure_jars
  ensure_dynamodb_files
  # The JVMs start in the background while the machine's services are checked.
  start_kafka
  start_dynamodb
  ensure_redis
  ensure_redis_cluster
  ensure_postgres
  ensure_pg_standby
  ensure_mariadb
  wait_until kafka 90 "$LOG_DIR/kafka.log" "$(alive kafka)" kafka_answers "$KAFKA_PORT"
  log kafka "ready on 127.0.0.1:$KAFKA_PORT"
  start_connect
  wait_until dynamodb 60 "$LOG_DIR/dynamodb.log" "$(alive dynamodb)" dynamodb_healthy
  log dynamodb "ready on http://127.0.0.1:$DYNAMODB_PORT"
  wait_until connect 150 "$LOG_DIR/connect.log" "$(alive connect)" connect_healthy
  log connect "ready on http://127.0.0.1:$CONNECT_PORT (Debezium Postgres + MariaDB + MySQL plugins)"
  log stack "up in ${SECONDS}s (logs: .stack/logs/)"
}

main "$@"
