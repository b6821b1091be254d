#!/usr/bin/env bash
# A local single-node Apache Kafka 4.x broker (KRaft, no ZooKeeper) for the tests, benchmarks and
# development, fetched from Maven Central through tools/kafka/pom.xml and run on Java 17.
#
#   scripts/kafka.sh start   # fetch once (.cache/kafka/lib), format once, start, wait until ready
#   scripts/kafka.sh stop    # SIGTERM, wait for a clean shutdown
#   scripts/kafka.sh status
#
# KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (port + 1), KAFKA_DATA_DIR (.cache/kafka/data-<port>)
# and KAFKA_HEAP (512m) override the defaults. Idempotent: `start` on a running broker is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
LIB=$ROOT/.cache/kafka/lib
DATA=${KAFKA_DATA_DIR:-$ROOT/.cache/kafka/data-$PORT}
PIDFILE=$DATA/broker.pid
LOG=$DATA/broker.log

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

fetch() {
  if [ -f "$LIB/.complete" ]; then return; fi
  echo "fetching Apache Kafka from Maven Central (tools/kafka/pom.xml) …" >&2
  rm -rf "$LIB"
  mvn -q -B -f tools/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$LIB" -DincludeScope=runtime >&2
  touch "$LIB/.complete"
}

JAVA_ARGS=()
java_cmd() { java "${JAVA_ARGS[@]}" "$@"; }

start() {
  if running; then echo "kafka already running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return; fi
  if listening; then
    # Not ours (another checkout's, or the developer's own): use it rather than fail.
    echo "a broker (not started by this checkout) already listens on 127.0.0.1:$PORT; using it" >&2
    return
  fi
  fetch
  mkdir -p "$DATA"
  JAVA_ARGS=(-Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$DATA/log4j2.properties" -cp "$LIB/*")
  cat > "$DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA/logs
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=2097152
log.retention.hours=48
PROPS
  cat > "$DATA/log4j2.properties" <<PROPS
rootLogger.level=WARN
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$LOG
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
PROPS
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    java_cmd kafka.tools.StorageTool format -t "$(java_cmd kafka.tools.StorageTool random-uuid)" -c "$DATA/server.properties" >/dev/null
  fi
  nohup java "${JAVA_ARGS[@]}" kafka.Kafka "$DATA/server.properties" >>"$DATA/stdout.log" 2>&1 &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    if listening; then echo "kafka ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), data $DATA)"; return; fi
    if ! running; then echo "kafka failed to start; see $DATA/stdout.log and $LOG" >&2; tail -20 "$DATA/stdout.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "kafka did not listen on $PORT within 60 s; see $LOG" >&2
  exit 1
}

stop() {
  if ! running; then echo "kafka not running on $PORT"; rm -f "$PIDFILE"; return; fi
  local pid; pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then rm -f "$PIDFILE"; echo "kafka stopped"; return; fi
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  echo "kafka killed after 60 s" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$PIDFILE"))"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
