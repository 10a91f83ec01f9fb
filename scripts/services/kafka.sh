#!/usr/bin/env bash
# One Apache Kafka broker (KRaft, broker and controller in one JVM) for the tests and for users, without Docker.
#   scripts/services/kafka.sh up                   start it (fetching its jars from Maven Central on first use), print
#                                                  its bootstrap address
#   scripts/services/kafka.sh down [--wipe]        stop it (TERM, then KILL after 30 s); --wipe also deletes its data,
#                                                  so the next `up` formats an empty cluster (with a new cluster id)
#   scripts/services/kafka.sh reset                the same as `down --wipe`
#   scripts/services/kafka.sh kill                 SIGKILL it at once (chaos tests: no clean shutdown); `up` restarts
#                                                  it on the same data, recovering the logs
#   scripts/services/kafka.sh status               print whether it answers, and its pid
#   scripts/services/kafka.sh url                  print its bootstrap address
#   scripts/services/kafka.sh topic NAME [PARTS]   create topic NAME unless it exists (replication factor 1; PARTS
#                                                  defaults to the broker's num.partitions, 3). An existing topic is
#                                                  left as it is, whatever its partition count.
#   scripts/services/kafka.sh tool CLASS [ARGS…]   run a Kafka tool class on the broker's classpath, e.g.
#     kafka.sh tool org.apache.kafka.tools.ProducerPerformance --topic t --num-records 200000 --record-size 500 \
#       --throughput -1 --producer-props bootstrap.servers=127.0.0.1:9092 acks=all
#     kafka.sh tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server 127.0.0.1:9092 --topic t \
#       --messages 200000
#     kafka.sh tool org.apache.kafka.tools.EndToEndLatency 127.0.0.1:9092 t 10000 all 500
#   Argument names in Kafka 4.1.2 (checked with each tool's --help and run against this broker; they changed across
#   versions, so recheck them when kafka.version changes):
#     ProducerPerformance: --topic, --num-records, --throughput (-1: unthrottled), exactly one of --record-size,
#       --payload-file (with --payload-delimiter) or --payload-monotonic, --producer-props k=v… (bootstrap.servers
#       goes here; there is no --bootstrap-server), --producer.config FILE, --print-metrics, --transactional-id,
#       --transaction-duration-ms. Prints one summary line: records/sec (MB/sec), avg/max latency, percentiles.
#     ConsumerPerformance: --bootstrap-server, --topic, --messages (all three required; the old --broker-list and
#       --zookeeper are gone), --group (default perf-consumer-<random>), --timeout (ms allowed between returned
#       records, default 10000), --fetch-size, --socket-buffer-size, --from-latest, --consumer.config FILE,
#       --show-detailed-stats, --reporting-interval, --hide-header, --date-format, --print-metrics. Prints a CSV
#       header and one line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
#       rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.
#     EndToEndLatency takes positional arguments: BOOTSTRAP TOPIC NUM_MESSAGES ACKS MESSAGE_SIZE [PROPERTIES_FILE].
#   Tools log at WARN; ELT_KAFKA_TOOL_LOG_LEVEL=info shows their INFO lines.
# Listens on 127.0.0.1:${ELT_KAFKA_PORT:-9092} (clients) and 127.0.0.1:${ELT_KAFKA_CONTROLLER_PORT:-9093} (KRaft
# controller) only. Jars, config, data and log under .services/kafka (git-ignored); the log is
# .services/kafka/kafka.log (the previous run's is kafka.log.1). Needs Java 17+ and, on first use, Maven.
# The version is set in scripts/services/kafka/pom.xml (kafka.version); docker-compose.yml runs the same version.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# ELT_KAFKA_HOME puts a second broker (with other ports) in a folder of its own.
base="${ELT_KAFKA_HOME:-$root/.services/kafka}"
lib="$base/lib"
data="$base/data"
config="$base/server.properties"
clusterfile="$base/cluster.id"
log="$base/kafka.log"
pidfile="$base/kafka.pid"
pom="$root/scripts/services/kafka/pom.xml"
port="${ELT_KAFKA_PORT:-9092}"
controller_port="${ELT_KAFKA_CONTROLLER_PORT:-9093}"
bootstrap="127.0.0.1:$port"
start_timeout="${ELT_KAFKA_START_TIMEOUT:-90}"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Whether a Kafka broker answers on $bootstrap, asked in Kafka's own protocol without starting a JVM: a Metadata
# request (v4, all topics) must come back listing one live broker. The broker enables request handling only once it
# has caught up with the metadata log and been unfenced, so an answer means it is ready for clients.
answers() {
  local reply
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    # size 15 | api_key 3 (Metadata) | version 4 | correlation id 7 | client id null | topics null (all) | no auto-create
    printf "\x00\x00\x00\x0f\x00\x03\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff\xff\xff\x00" >&3
    head -c 20 <&3 | od -An -v -tx1 | tr -d " \n"
  ' _ "$port" 2>/dev/null || true)"
  # size | correlation id 7 | throttle time | broker count >= 1 (an empty list means no live broker yet)
  [ "${#reply}" = 40 ] && [ "${reply:8:8}" = 00000007 ] && [ "${reply:24:8}" != 00000000 ]
}

# Whether anything accepts TCP connections on port $1 of 127.0.0.1.
port_taken() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# The pid of the broker this script started, if it still runs. The command line must match, so a pid reused by
# another process after a reboot or a crash is never signalled.
own_pid() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $config"; then
    echo "$pid"
  fi
}

need_java() {
  local v
  if ! command -v "$java" >/dev/null 2>&1; then
    echo "Kafka needs Java 17 or later and none was found (looked for $java). Install one (Debian: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME." >&2
    exit 3
  fi
  v="$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
  if [ -z "$v" ] || [ "$v" -lt 17 ]; then
    echo "Kafka $version needs Java 17 or later; $(command -v "$java") is Java ${v:-of unknown version}. Install a newer one (Debian: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME." >&2
    exit 3
  fi
}

# The jars, fetched once from Maven Central into $lib. The stamp names the version and the POM; a change refetches.
ensure_jars() {
  local stamp tmp started
  [ -n "$version" ] || { echo "no <kafka.version> in $pom" >&2; exit 3; }
  stamp="$version $(sha256sum "$pom" | cut -c1-16)"
  if [ -f "$lib/.elt-stamp" ] && [ "$(cat "$lib/.elt-stamp")" = "$stamp" ]; then return; fi
  mkdir -p "$base"
  # One fetch at a time (`tool` does not take the start lock). Closed again below so no JVM inherits it.
  exec 8>"$base/.fetch.lock"
  flock 8
  if [ -f "$lib/.elt-stamp" ] && [ "$(cat "$lib/.elt-stamp")" = "$stamp" ]; then exec 8>&-; return; fi
  command -v mvn >/dev/null 2>&1 || {
    echo "Kafka's jars are not in $lib yet, and fetching them needs Maven: install it (Debian: sudo apt-get install -y maven) and rerun." >&2
    exit 3
  }
  echo "fetching Apache Kafka $version jars from Maven Central into $lib (first run only)…" >&2
  tmp="$base/lib.partial"
  rm -rf "$tmp"
  started=$SECONDS
  if ! mvn -q -B -f "$pom" -Delt.kafka.lib="$tmp" dependency:copy-dependencies >"$base/maven.log" 2>&1 </dev/null 8>&- 9>&-; then
    echo "could not fetch Apache Kafka $version from Maven Central (needs https://repo.maven.apache.org, or a mirror in ~/.m2/settings.xml); last lines of $base/maven.log:" >&2
    tail -n 20 "$base/maven.log" >&2 || true
    rm -rf "$tmp"
    exit 3
  fi
  ls "$tmp"/kafka_2.13-"$version".jar "$tmp"/kafka-tools-"$version".jar >/dev/null 2>&1 \
    || { echo "Maven finished but $tmp lacks the Kafka $version jars; see $base/maven.log" >&2; exit 3; }
  echo "$stamp" >"$tmp/.elt-stamp"
  rm -rf "$lib"
  mv "$tmp" "$lib"
  exec 8>&-
  echo "fetched $(find "$lib" -name '*.jar' | wc -l) jars ($(du -sh "$lib" | cut -f1)) in $((SECONDS - started)) s" >&2
}

# Runs a JVM on the broker's classpath. Logging goes through slf4j-simple, to stderr.
run_java() {
  "$java" -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.showDateTime=true \
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" -cp "$lib/*" "$@"
}

write_config() {
  cat >"$config" <<EOF
# Written by scripts/services/kafka.sh on every start; edit the script, not this file.
# One node that is both broker and KRaft controller, bound to 127.0.0.1 only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
# One broker: every internal topic has one replica and needs one in sync.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
# A consumer group starts at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
num.partitions=3
auto.create.topics.enable=false
# Records (batches) up to 2 MiB.
message.max.bytes=2097152
EOF
}

up() {
  local pid cluster
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  if answers; then echo "$bootstrap"; return; fi
  pid="$(own_pid)"
  # Checked before Java is looked for or jars fetched: ports held by a program this script did not start.
  if [ -z "$pid" ]; then
    if port_taken "$port"; then
      echo "something already listens on $bootstrap but does not answer as a Kafka broker (this script did not start it: another Kafka still starting, or another program). Free the port or set ELT_KAFKA_PORT." >&2
      exit 3
    fi
    if port_taken "$controller_port"; then
      echo "something already listens on 127.0.0.1:$controller_port, the KRaft controller port (this script did not start it). Free the port or set ELT_KAFKA_CONTROLLER_PORT." >&2
      exit 3
    fi
  fi
  need_java
  ensure_jars
  if [ -n "$pid" ]; then
    # Started earlier and still starting (e.g. recovering its logs after a kill): wait for it rather than kill it.
    echo "the Kafka started earlier (pid $pid) does not answer on $bootstrap yet; waiting for it (log: $log)…" >&2
  else
    rm -f "$pidfile"
    write_config
    if [ ! -f "$data/meta.properties" ]; then
      # First start, or after `down --wipe`: format the log dir with a cluster id generated once and kept.
      if [ ! -s "$clusterfile" ]; then
        run_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$clusterfile.tmp"
        mv "$clusterfile.tmp" "$clusterfile"
      fi
      cluster="$(cat "$clusterfile")"
      rm -rf "$data"
      mkdir -p "$data"
      run_java kafka.tools.StorageTool format -t "$cluster" -c "$config" >"$base/format.log" 2>&1 </dev/null 9>&- \
        || { echo "formatting $data failed; last lines of $base/format.log:" >&2; tail -n 20 "$base/format.log" >&2; exit 3; }
    fi
    if [ -f "$log" ]; then mv -f "$log" "$log.1"; fi
    echo "starting Apache Kafka $version on $bootstrap (KRaft controller on 127.0.0.1:$controller_port, log: $log)…" >&2
    (
      cd "$base"
      exec setsid "$java" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.showDateTime=true \
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
        -cp "$lib/*" kafka.Kafka "$config" >"$log" 2>&1 9>&- </dev/null
    ) &
    pid=$!
    echo "$pid" >"$pidfile"
  fi
  local deadline=$((SECONDS + start_timeout))
  while ! answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "Kafka exited while starting; last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
      rm -f "$pidfile"
      exit 3
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Kafka (pid $pid) did not answer on $bootstrap within $start_timeout s; see $log. Stop it with: scripts/services/kafka.sh down" >&2
      exit 3
    fi
    sleep 0.3
  done
  echo "$bootstrap"
}

# Stops our broker's process group: $1 is the first signal (TERM for a clean shutdown, KILL for a crash).
stop() {
  local pid
  pid="$(own_pid)"
  if [ -z "$pid" ]; then
    rm -f "$pidfile"
    return 1
  fi
  # setsid made it a process group of its own: signal the whole group, then wait for it.
  kill "-$1" -- "-$pid" 2>/dev/null || kill "-$1" "$pid" 2>/dev/null || true
  if [ "$1" = TERM ]; then
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "Kafka (pid $pid) did not stop within 30 s; killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
}

down() {
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  if ! stop TERM && answers; then
    echo "a Kafka this script did not start answers on $bootstrap (docker compose?); stop it where it was started" >&2
  fi
  if [ "${1:-}" = --wipe ]; then
    rm -rf "$data" "$clusterfile"
    echo "data deleted: the next up starts an empty cluster" >&2
  fi
  echo "stopped"
}

kill_now() {
  if stop KILL; then echo "killed"; else echo "not running"; fi
}

status() {
  local pid
  pid="$(own_pid)"
  if answers; then
    echo "Kafka answers on $bootstrap (${pid:+pid $pid, log $log}$([ -n "$pid" ] || echo 'not started by this script'))"
  elif [ -n "$pid" ]; then
    echo "Kafka (pid $pid) runs but does not answer on $bootstrap yet; log: $log"
    return 1
  else
    echo "Kafka does not answer on $bootstrap. Start it: npm run kafka:up"
    return 1
  fi
}

need_broker() {
  answers || { echo "Kafka does not answer on $bootstrap. Start it first: npm run kafka:up" >&2; exit 3; }
}

tool() {
  [ $# -ge 1 ] || { echo "usage: $0 tool MAIN-CLASS [ARGS…]" >&2; exit 2; }
  need_java
  ensure_jars
  exec "$java" -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=${ELT_KAFKA_TOOL_LOG_LEVEL:-warn}" -cp "$lib/*" "$@"
}

topic() {
  [ $# -ge 1 ] || { echo "usage: $0 topic NAME [PARTITIONS]" >&2; exit 2; }
  need_broker
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$1" --replication-factor 1 ${2:+--partitions "$2"}
}

case "${1:-}" in
  up) up ;;
  down)
    case "${2:-}" in "" | --wipe) down "${2:-}" ;; *) echo "usage: $0 down [--wipe]" >&2; exit 2 ;; esac
    ;;
  reset) down --wipe ;;
  kill) kill_now ;;
  status) status ;;
  url) echo "$bootstrap" ;;
  topic) shift; topic "$@" ;;
  tool) shift; tool "$@" ;;
  *) echo "usage: $0 up|down [--wipe]|reset|kill|status|url|topic NAME [PARTITIONS]|tool MAIN-CLASS [ARGS…]" >&2; exit 2 ;;
esac
