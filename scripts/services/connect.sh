#!/usr/bin/env bash
# One Kafka Connect worker with Debezium's PostgreSQL connector, for change data capture from the marketplace's
# outbox table into the Kafka landing topic, without Docker.
#   scripts/services/connect.sh up       start it (fetching its jars from Maven Central on first use), print its
#                                        REST URL. The broker (scripts/services/kafka.sh) must run already.
#   scripts/services/connect.sh down     stop it (TERM, then KILL after 30 s): tasks stop and commit their offsets
#   scripts/services/connect.sh kill     SIGKILL it at once (chaos tests: no clean shutdown, no last offset
#                                        commit); `up` starts it again and its connectors resume from the offsets
#                                        stored last (records after them are sent again: at-least-once)
#   scripts/services/connect.sh status   print whether it answers, and its pid (exit 1 when it does not)
#   scripts/services/connect.sh url      print its REST URL
# Distributed mode, not standalone: connector configs, source offsets and statuses live in three compacted topics
# on the broker (replication factor 1), so a worker that was killed comes back with its
# connectors registered and resumes each from its last committed offset with no client action; standalone mode
# keeps offsets in a file but forgets connectors registered over REST, so every restart would need them
# registered again. It is also how Connect runs in production, with one worker here.
# Listens on 127.0.0.1:${ELT_CONNECT_PORT:-8083} only (REST). Talks to the broker at ELT_CONNECT_BOOTSTRAP
# (default 127.0.0.1:${ELT_KAFKA_PORT:-9092}). Its group and internal topics are named after ELT_CONNECT_GROUP
# (default elt-connect: elt-connect-configs, -offsets, -status). Jars, config and log under .services/connect
# (git-ignored); the log is .services/connect/connect.log (the previous run's is connect.log.1). Needs Java 17+
# and, on first use, Maven. Versions are set in scripts/services/connect/pom.xml: kafka.version (the broker's)
# and debezium.version.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# ELT_CONNECT_HOME puts a second worker (with another port and group) in a folder of its own.
base="${ELT_CONNECT_HOME:-$root/.services/connect}"
lib="$base/lib"
config="$base/connect-distributed.properties"
log="$base/connect.log"
pidfile="$base/connect.pid"
pom="$root/scripts/services/connect/pom.xml"
port="${ELT_CONNECT_PORT:-8083}"
url="http://127.0.0.1:$port"
bootstrap="${ELT_CONNECT_BOOTSTRAP:-127.0.0.1:${ELT_KAFKA_PORT:-9092}}"
group="${ELT_CONNECT_GROUP:-elt-connect}"
start_timeout="${ELT_CONNECT_START_TIMEOUT:-120}"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
debezium_version="$(sed -n 's:.*<debezium.version>\(.*\)</debezium.version>.*:\1:p' "$pom")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Whether the worker answers on $url and has finished starting: Connect's health endpoint (KIP-1017) says
# "healthy" only once the worker has joined its group and read its config topic.
answers() {
  curl -fsS --max-time 3 "$url/health" 2>/dev/null | grep -q '"status" *: *"healthy"'
}

# Whether anything accepts TCP connections on port $1 of 127.0.0.1.
port_taken() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Whether a Kafka broker takes connections at $bootstrap (a TCP check: the worker itself waits for the rest).
broker_reachable() {
  local host="${bootstrap%%,*}"
  # shellcheck disable=SC2016 # $1 and $2 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${host%:*}" "${host##*:}" 2>/dev/null
}

# The pid of the worker this script started, if it still runs. The command line must match, so a pid reused by
# another process after a reboot or a crash is never signalled.
own_pid() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "ConnectDistributed $config"; then
    echo "$pid"
  fi
}

need_java() {
  local v
  if ! command -v "$java" >/dev/null 2>&1; then
    echo "Kafka Connect needs Java 17 or later and none was found (looked for $java). Install one (Debian: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME." >&2
    exit 3
  fi
  v="$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
  if [ -z "$v" ] || [ "$v" -lt 17 ]; then
    echo "Kafka Connect $kafka_version needs Java 17 or later; $(command -v "$java") is Java ${v:-of unknown version}. Install a newer one (Debian: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME." >&2
    exit 3
  fi
}

# The jars, fetched once from Maven Central into $lib. The stamp names the versions and the POM; a change refetches.
ensure_jars() {
  local stamp tmp started
  [ -n "$kafka_version" ] && [ -n "$debezium_version" ] \
    || { echo "no <kafka.version> or <debezium.version> in $pom" >&2; exit 3; }
  stamp="$kafka_version $debezium_version $(sha256sum "$pom" | cut -c1-16)"
  if [ -f "$lib/.elt-stamp" ] && [ "$(cat "$lib/.elt-stamp")" = "$stamp" ]; then return; fi
  command -v mvn >/dev/null 2>&1 || {
    echo "Kafka Connect's jars are not in $lib yet, and fetching them needs Maven: install it (Debian: sudo apt-get install -y maven) and rerun." >&2
    exit 3
  }
  echo "fetching Kafka Connect $kafka_version and Debezium $debezium_version jars from Maven Central into $lib (first run only)…" >&2
  tmp="$base/lib.partial"
  rm -rf "$tmp"
  started=$SECONDS
  if ! mvn -q -B -f "$pom" -Delt.connect.lib="$tmp" dependency:copy-dependencies >"$base/maven.log" 2>&1 </dev/null 9>&-; then
    echo "could not fetch Kafka Connect $kafka_version / Debezium $debezium_version from Maven Central (needs https://repo.maven.apache.org, or a mirror in ~/.m2/settings.xml); last lines of $base/maven.log:" >&2
    tail -n 20 "$base/maven.log" >&2 || true
    rm -rf "$tmp"
    exit 3
  fi
  ls "$tmp"/connect-runtime-"$kafka_version".jar "$tmp"/debezium-connector-postgres-"$debezium_version".jar >/dev/null 2>&1 \
    || { echo "Maven finished but $tmp lacks the Connect $kafka_version or Debezium $debezium_version jars; see $base/maven.log" >&2; exit 3; }
  echo "$stamp" >"$tmp/.elt-stamp"
  rm -rf "$lib"
  mv "$tmp" "$lib"
  echo "fetched $(find "$lib" -name '*.jar' | wc -l) jars ($(du -sh "$lib" | cut -f1)) in $((SECONDS - started)) s" >&2
}

write_config() {
  cat >"$config" <<EOF
# Written by scripts/services/connect.sh on every start; edit the script, not this file.
# One distributed-mode worker whose REST API is bound to 127.0.0.1 only.
bootstrap.servers=$bootstrap
group.id=$group
config.storage.topic=$group-configs
offset.storage.topic=$group-offsets
status.storage.topic=$group-status
# One broker: every internal topic has one replica.
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=5
status.storage.partitions=1
listeners=http://127.0.0.1:$port
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$port
rest.advertised.listener=http
# Connectors set their own converters (the outbox connector: plain strings); these are the defaults.
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
# Source offsets are committed every second, so a killed worker sends at most about a second of records again.
offset.flush.interval.ms=1000
# A worker that comes back after a kill gets its tasks at once instead of after the 5 min default delay, and a
# dead worker leaves the group after 6 s (the broker's minimum session timeout).
scheduled.rebalance.max.delay.ms=0
session.timeout.ms=6000
heartbeat.interval.ms=2000
# Plugins are found through their ServiceLoader manifests, not by scanning every class of the classpath.
plugin.discovery=service_load
# Topics the connectors write to are created by the worker when missing (the broker does not auto-create them).
topic.creation.enable=true
EOF
}

up() {
  local pid
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  if answers; then echo "$url"; return; fi
  pid="$(own_pid)"
  # Checked before Java is looked for or jars fetched: a port held by a program this script did not start.
  if [ -z "$pid" ] && port_taken "$port"; then
    echo "something already listens on 127.0.0.1:$port but does not answer as a ready Kafka Connect worker (this script did not start it: another worker still starting, or another program). Free the port or set ELT_CONNECT_PORT." >&2
    exit 3
  fi
  if ! broker_reachable; then
    echo "no Kafka broker takes connections at $bootstrap: Kafka Connect keeps its state there. Start it first (npm run kafka:up) or set ELT_CONNECT_BOOTSTRAP." >&2
    exit 3
  fi
  need_java
  ensure_jars
  if [ -n "$pid" ] && ! grep -qxF "listeners=http://127.0.0.1:$port" "$config" 2>/dev/null; then
    echo "the Kafka Connect worker of $base (pid $pid) was started with another port than $port ($(sed -n 's/^listeners=//p' "$config" 2>/dev/null)); stop it first (scripts/services/connect.sh down with the same ELT_CONNECT_PORT), or give this one a folder of its own with ELT_CONNECT_HOME." >&2
    exit 3
  fi
  if [ -n "$pid" ]; then
    # Started earlier and still starting (joining its group, reading its topics): wait for it rather than kill it.
    echo "the Kafka Connect worker started earlier (pid $pid) is not ready on $url yet; waiting for it (log: $log)…" >&2
  else
    rm -f "$pidfile"
    write_config
    if [ -f "$log" ]; then mv -f "$log" "$log.1"; fi
    echo "starting Kafka Connect $kafka_version with Debezium $debezium_version on $url (broker $bootstrap, group $group, log: $log)…" >&2
    (
      cd "$base"
      exec setsid "$java" -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.showDateTime=true \
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS" \
        -cp "$lib/*" org.apache.kafka.connect.cli.ConnectDistributed "$config" >"$log" 2>&1 9>&- </dev/null
    ) &
    pid=$!
    echo "$pid" >"$pidfile"
  fi
  local deadline=$((SECONDS + start_timeout))
  while ! answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "Kafka Connect exited while starting; last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
      rm -f "$pidfile"
      exit 3
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Kafka Connect (pid $pid) was not ready on $url within $start_timeout s; see $log. Stop it with: scripts/services/connect.sh down" >&2
      exit 3
    fi
    sleep 0.5
  done
  echo "$url"
}

# Stops our worker's process group: $1 is the first signal (TERM for a clean shutdown, KILL for a crash).
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
      echo "Kafka Connect (pid $pid) did not stop within 30 s; killing it" >&2
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
    echo "a Kafka Connect worker this script did not start answers on $url; stop it where it was started" >&2
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
    echo "Kafka Connect answers on $url (${pid:+pid $pid, log $log}$([ -n "$pid" ] || echo 'not started by this script'))"
  elif [ -n "$pid" ]; then
    echo "Kafka Connect (pid $pid) runs but is not ready on $url yet; log: $log"
    return 1
  else
    echo "Kafka Connect does not answer on $url. Start it: npm run connect:up"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill) kill_now ;;
  status) status ;;
  url) echo "$url" ;;
  *) echo "usage: $0 up|down|kill|status|url" >&2; exit 2 ;;
esac
