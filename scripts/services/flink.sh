#!/usr/bin/env bash
# A standalone Apache Flink session cluster (one JobManager, one TaskManager with 2 slots) and its SQL Gateway,
# as host processes for the tests and for users, without Docker.
#   scripts/services/flink.sh up                  start what is not running (fetching the jars from Maven Central on
#                                                 first use), wait until the JobManager lists one TaskManager and the
#                                                 gateway answers; print the JobManager's REST URL, then the gateway's.
#                                                 A start that fails says why (with the log's last lines) and stops
#                                                 the processes it had started
#   scripts/services/flink.sh down                stop the gateway, the TaskManager and the JobManager (TERM, then
#                                                 KILL after 30 s); running jobs end with the cluster
#   scripts/services/flink.sh status              print whether each of the three answers, and its pid (exit 1 when
#                                                 one does not)
#   scripts/services/flink.sh urls                print the JobManager's REST URL, then the gateway's
#   scripts/services/flink.sh kill-taskmanager    SIGKILL the TaskManager at once (failure tests: no clean shutdown);
#                                                 running jobs fail over and wait for slots
#   scripts/services/flink.sh start-taskmanager   start the TaskManager again and wait until it has registered; the
#                                                 jobs restart from their last completed checkpoint
# Maven Central serves no flink-dist (the tarball's jar): the entry points run from the module jars, which the POM
# fetches with the Kafka SQL connector, so SQL submitted through the gateway needs no ADD JAR.
# Listens on 127.0.0.1 only: ${ELT_FLINK_REST_PORT:-8081} (JobManager REST API and web UI),
# ${ELT_FLINK_GATEWAY_PORT:-8084} (SQL Gateway REST API; 8083 is Kafka Connect's), ${ELT_FLINK_RPC_PORT:-6123}
# (JobManager RPC); the blob server and the TaskManager take free ports. Jars, config, checkpoints and logs under
# .services/flink (git-ignored): logs jobmanager.log, taskmanager.log, sql-gateway.log (the previous run's end in
# .1; a JVM's own output in the .out file beside its log), checkpoints under state/checkpoints. Needs Java 17+
# and, on first use, Maven. Versions are set in scripts/services/flink/pom.xml (flink.version, flink.kafka.version).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# ELT_FLINK_HOME puts a second cluster (with other ports) in a folder of its own.
base="${ELT_FLINK_HOME:-$root/.services/flink}"
lib="$base/lib"
conf="$base/conf"
state="$base/state"
tmp="$base/tmp"
pom="$root/scripts/services/flink/pom.xml"
rest_port="${ELT_FLINK_REST_PORT:-8081}"
gateway_port="${ELT_FLINK_GATEWAY_PORT:-8084}"
rpc_port="${ELT_FLINK_RPC_PORT:-6123}"
rest_url="http://127.0.0.1:$rest_port"
gateway_url="http://127.0.0.1:$gateway_port"
start_timeout="${ELT_FLINK_START_TIMEOUT:-120}"
version="$(sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' "$pom")"
kafka_connector="$(sed -n 's:.*<flink.kafka.version>\(.*\)</flink.kafka.version>.*:\1:p' "$pom")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The three processes: name -> main class. Each is found again by its pid file and its command line.
main_class() {
  case "$1" in
    jobmanager) echo org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint ;;
    taskmanager) echo org.apache.flink.runtime.taskexecutor.TaskManagerRunner ;;
    sql-gateway) echo org.apache.flink.table.gateway.SqlGateway ;;
  esac
}

# How many TaskManagers the JobManager lists (nothing when its REST API does not answer).
taskmanagers() {
  curl -fsS --max-time 3 "$rest_url/overview" 2>/dev/null | sed -n 's/.*"taskmanagers":\([0-9]*\).*/\1/p'
}

jobmanager_answers() { [ -n "$(taskmanagers)" ]; }

# Whether the TaskManager has registered with the JobManager. One this script started is looked for by the
# resource id it was given, since a killed one stays listed until its heartbeats time out; with none started
# here (a cluster started elsewhere), any TaskManager counts.
taskmanager_registered() {
  local id n
  id="$(cat "$base/taskmanager.id" 2>/dev/null || true)"
  if [ -n "$id" ]; then
    [ -n "$(own_pid taskmanager)" ] \
      && curl -fsS --max-time 3 "$rest_url/taskmanagers" 2>/dev/null | grep -qF "\"id\":\"$id\""
  else
    n="$(taskmanagers)"
    [ -n "$n" ] && [ "$n" -ge 1 ]
  fi
}
gateway_answers() { curl -fsS --max-time 3 "$gateway_url/v1/info" 2>/dev/null | grep -q '"productName"'; }

# Whether anything accepts TCP connections on port $1 of 127.0.0.1.
port_taken() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# The pid of process $1 (jobmanager, taskmanager, sql-gateway) this script started, if it still runs. The command
# line must name this folder and the main class, so a pid reused by another process is never signalled.
own_pid() {
  local pid cmd
  pid="$(cat "$base/$1.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  if [[ "$cmd" == *"-Delt.flink.home=$base "* && "$cmd" == *"$(main_class "$1")"* ]]; then echo "$pid"; fi
}

need_java() {
  local v
  if ! command -v "$java" >/dev/null 2>&1; then
    echo "Flink needs Java 17 or later and none was found (looked for $java). Install one (Debian: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME." >&2
    exit 3
  fi
  v="$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
  if [ -z "$v" ] || [ "$v" -lt 17 ]; then
    echo "Flink $version needs Java 17 or later; $(command -v "$java") is Java ${v:-of unknown version}. Install a newer one (Debian: sudo apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME." >&2
    exit 3
  fi
}

# The jars, copied once into $lib: from the local Maven repository when it holds them all (offline), else from
# Maven Central. The stamp names the versions and the POM; a change refetches.
ensure_jars() {
  local stamp partial started
  [ -n "$version" ] && [ -n "$kafka_connector" ] \
    || { echo "no <flink.version> or <flink.kafka.version> in $pom" >&2; exit 3; }
  stamp="$version $kafka_connector $(sha256sum "$pom" | cut -c1-16)"
  if [ -f "$lib/.elt-stamp" ] && [ "$(cat "$lib/.elt-stamp")" = "$stamp" ]; then return; fi
  command -v mvn >/dev/null 2>&1 || {
    echo "Flink's jars are not in $lib yet, and fetching them needs Maven: install it (Debian: sudo apt-get install -y maven) and rerun." >&2
    exit 3
  }
  partial="$base/lib.partial"
  rm -rf "$partial"
  started=$SECONDS
  if ! mvn -o -q -B -f "$pom" -Delt.flink.lib="$partial" dependency:copy-dependencies >"$base/maven.log" 2>&1 </dev/null 9>&-; then
    echo "fetching Apache Flink $version and its Kafka connector $kafka_connector jars from Maven Central into $lib (first run only)…" >&2
    rm -rf "$partial"
    if ! mvn -q -B -f "$pom" -Delt.flink.lib="$partial" dependency:copy-dependencies >"$base/maven.log" 2>&1 </dev/null 9>&-; then
      echo "could not fetch Apache Flink $version / flink-connector-kafka $kafka_connector from Maven Central (needs https://repo.maven.apache.org, or a mirror in ~/.m2/settings.xml); last lines of $base/maven.log:" >&2
      tail -n 20 "$base/maven.log" >&2 || true
      rm -rf "$partial"
      exit 3
    fi
  fi
  ls "$partial"/flink-runtime-"$version".jar "$partial"/flink-sql-gateway-"$version".jar \
    "$partial"/flink-connector-kafka-"$kafka_connector".jar >/dev/null 2>&1 \
    || { echo "Maven finished but $partial lacks the Flink $version or connector $kafka_connector jars; see $base/maven.log" >&2; exit 3; }
  echo "$stamp" >"$partial/.elt-stamp"
  rm -rf "$lib"
  mv "$partial" "$lib"
  echo "copied $(find "$lib" -name '*.jar' | wc -l) jars ($(du -sh "$lib" | cut -f1)) into $lib in $((SECONDS - started)) s" >&2
}

write_config() {
  # Only with nothing running: the last run's scratch files (a killed TaskManager leaves its own) go.
  rm -rf "$tmp"
  mkdir -p "$conf" "$state/checkpoints" "$tmp" "$base/plugins"
  cat >"$conf/config.yaml" <<EOF
# Written by scripts/services/flink.sh on every start; edit the script, not this file.
# One JobManager and one TaskManager on 127.0.0.1, with the SQL Gateway beside them.
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: 127.0.0.1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $rest_port
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.numberOfTaskSlots: 2
parallelism.default: 1
# Sized for a 2-core laptop or CI machine; Flink splits each total into heap, metaspace, network and managed memory.
jobmanager.memory.process.size: 1g
# Keyed state lives on the heap (hashmap backend, no managed memory needed): the window deduplication keeps
# every event id of the open minutes, and a job catching up holds several minutes open; 1.5 GB with the default
# 40% managed memory ran out of heap catching up from a 270,000-record lag (elt loadtest --stream, 2026-12-03).
taskmanager.memory.process.size: 3g
taskmanager.memory.managed.fraction: 0.05
# Keyed state on the heap, snapshotted to files every 5 s, exactly once. A killed TaskManager's jobs restart from
# the last completed checkpoint; they retry every 2 s for as long as no slot is free (until a TaskManager returns).
state.backend.type: hashmap
execution.checkpointing.dir: file://$state/checkpoints
execution.checkpointing.interval: 5s
execution.checkpointing.mode: EXACTLY_ONCE
execution.checkpointing.num-retained: 1
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: 1000000
restart-strategy.fixed-delay.delay: 2s
# Flink's defaults (10 s interval, 50 s timeout): a killed TaskManager is noticed when its connection drops or
# after two failed heartbeat RPCs, long before the timeout; shorter timeouts only add false alarms on a busy host.
heartbeat.interval: 10s
heartbeat.timeout: 50s
# The REST API's metrics (busyTimeMsPerSecond, backPressuredTimeMsPerSecond) are at most this old; the default
# 10 s is too coarse for a load test sampling every second.
metrics.fetcher.update-interval: 1s
io.tmp.dirs: $tmp
blob.storage.directory: $tmp/blob
web.tmpdir: $tmp/web
sql-gateway.endpoint.rest.address: 127.0.0.1
sql-gateway.endpoint.rest.bind-address: 127.0.0.1
sql-gateway.endpoint.rest.port: $gateway_port
EOF
  cat >"$conf/log4j.properties" <<'EOF'
# Written by scripts/services/flink.sh on every start. Each JVM logs to the file named by -Dlog.file.
monitorInterval = 0
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
# The Kafka clients log every producer and consumer config at INFO: keep their warnings only.
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = false
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd'T'HH:mm:ss.SSS} %-5p %-60c %x - %m%n
EOF
}

# The JVM flags and dynamic settings (-D key=value …) Flink derives from the memory settings, as its own start
# scripts get them: BashJavaUtils prints them on two lines marked BASH_JAVA_UTILS_EXEC_RESULT. $1: TM or JM.
resource_params() {
  local out
  out="$("$java" -Xmx128m -cp "$lib/*" org.apache.flink.runtime.util.bash.BashJavaUtils "GET_$1_RESOURCE_PARAMS" \
    --configDir "$conf" 2>&1 </dev/null 9>&-)" || {
    echo "could not compute the $1 memory settings from $conf/config.yaml:" >&2
    echo "$out" | tail -n 20 >&2
    exit 3
  }
  echo "$out" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' | tail -n 2
}

# Starts process $1 in a session of its own (so its whole group can be signalled); the rest is its java arguments.
start_process() {
  local name="$1"
  shift
  local log="$base/$name.log" out="$base/$name.out"
  if [ -f "$log" ]; then mv -f "$log" "$log.1"; fi
  if [ -f "$out" ]; then mv -f "$out" "$out.1"; fi
  (
    cd "$base"
    exec setsid env FLINK_CONF_DIR="$conf" FLINK_PLUGINS_DIR="$base/plugins" "$java" -Delt.flink.home="$base" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -Djava.io.tmpdir="$tmp" -Dlog.file="$log" \
      -Dlog4j.configurationFile="file:$conf/log4j.properties" "$@" >"$out" 2>&1 9>&- </dev/null
  ) &
  echo "$!" >"$base/$name.pid"
}

start_jobmanager() {
  local params
  params="$(resource_params JM)"
  # shellcheck disable=SC2046 # the JVM flags are words
  start_process jobmanager $(echo "$params" | sed -n 1p) -cp "$lib/*" "$(main_class jobmanager)" --configDir "$conf"
}

start_taskmanager_process() {
  local params id
  params="$(resource_params TM)"
  id="elt-taskmanager-$(date +%s%N)"
  echo "$id" >"$base/taskmanager.id"
  # shellcheck disable=SC2046 # the JVM flags and the -D key=value pairs are words
  start_process taskmanager $(echo "$params" | sed -n 1p) -cp "$lib/*" "$(main_class taskmanager)" \
    --configDir "$conf" $(echo "$params" | sed -n 2p) -D "taskmanager.resource-id=$id"
}

start_gateway() {
  # The gateway reads FLINK_CONF_DIR (set by start_process) and submits to the JobManager's REST API.
  start_process sql-gateway -Xms128m -Xmx512m -cp "$lib/*" "$(main_class sql-gateway)"
}

# Fails with the log's last lines when process $1 has exited.
check_alive() {
  if [ -z "$(own_pid "$1")" ]; then
    echo "the Flink $1 exited while starting; last lines of $base/$1.log and $base/$1.out:" >&2
    tail -n 30 "$base/$1.log" >&2 2>/dev/null || true
    tail -n 10 "$base/$1.out" >&2 2>/dev/null || true
    rm -f "$base/$1.pid"
    exit 3
  fi
}

# Waits until "$@" succeeds, while the named processes ($procs) are alive.
wait_for() {
  local what="$1" procs="$2"
  shift 2
  local deadline=$((SECONDS + start_timeout)) p
  while ! "$@"; do
    for p in $procs; do check_alive "$p"; done
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Flink: $what within $start_timeout s; see the logs in $base (ELT_FLINK_START_TIMEOUT sets the wait)" >&2
      exit 3
    fi
    sleep 0.5
  done
}

lock() {
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
}

# Processes this `up` or `start-taskmanager` started: stopped again when it fails, so no half-started cluster stays.
started_here=()
stop_started_on_failure() {
  local rc=$? name
  [ "$rc" -ne 0 ] && [ "${#started_here[@]}" -gt 0 ] || return 0
  for name in "${started_here[@]}"; do stop "$name" TERM || true; done
  echo "stopped the Flink processes this start had begun (${started_here[*]})" >&2
}
trap stop_started_on_failure EXIT

up() {
  local jm tm gw started=$SECONDS
  lock
  if taskmanager_registered && gateway_answers; then
    echo "$rest_url"
    echo "$gateway_url"
    return
  fi
  jm="$(own_pid jobmanager)"
  tm="$(own_pid taskmanager)"
  gw="$(own_pid sql-gateway)"
  # Checked before Java is looked for or jars fetched: ports held by a program this script did not start.
  if [ -z "$jm" ]; then
    if port_taken "$rest_port"; then
      echo "something already listens on 127.0.0.1:$rest_port but is not the Flink JobManager this script started (another Flink, or another program). Free the port or set ELT_FLINK_REST_PORT." >&2
      exit 3
    fi
    if port_taken "$rpc_port"; then
      echo "something already listens on 127.0.0.1:$rpc_port, the Flink JobManager's RPC port (this script did not start it). Free the port or set ELT_FLINK_RPC_PORT." >&2
      exit 3
    fi
  fi
  if [ -z "$gw" ] && port_taken "$gateway_port"; then
    echo "something already listens on 127.0.0.1:$gateway_port but is not the Flink SQL Gateway this script started. Free the port or set ELT_FLINK_GATEWAY_PORT." >&2
    exit 3
  fi
  need_java
  ensure_jars
  if [ -n "$jm$tm$gw" ] && ! grep -qxF "rest.port: $rest_port" "$conf/config.yaml" 2>/dev/null; then
    echo "the Flink cluster of $base runs with other ports than $rest_port ($(sed -n 's/^rest.port: //p' "$conf/config.yaml" 2>/dev/null)); stop it first (scripts/services/flink.sh down with the same ELT_FLINK_REST_PORT), or give this one a folder of its own with ELT_FLINK_HOME." >&2
    exit 3
  fi
  # The config is rewritten only when nothing runs on it.
  [ -n "$jm$tm$gw" ] || write_config
  if [ -z "$jm" ]; then
    echo "starting the Flink $version JobManager on $rest_url (log: $base/jobmanager.log)…" >&2
    start_jobmanager
    started_here+=(jobmanager)
  fi
  if [ -z "$tm" ]; then
    echo "starting the Flink TaskManager (2 slots; log: $base/taskmanager.log)…" >&2
    start_taskmanager_process
    started_here+=(taskmanager)
  fi
  if [ -z "$gw" ]; then
    echo "starting the Flink SQL Gateway on $gateway_url (log: $base/sql-gateway.log)…" >&2
    start_gateway
    started_here+=(sql-gateway)
  fi
  wait_for "the JobManager did not list a TaskManager on $rest_url/overview" "jobmanager taskmanager" \
    taskmanager_registered
  wait_for "the SQL Gateway did not answer on $gateway_url/v1/info" "sql-gateway" gateway_answers
  started_here=()
  echo "Flink is up in $((SECONDS - started)) s: JobManager $rest_url, SQL Gateway $gateway_url" >&2
  echo "$rest_url"
  echo "$gateway_url"
}

# Stops process $1's group: $2 is the first signal (TERM for a clean shutdown, KILL for a crash). Fails when this
# script's process does not run.
stop() {
  local pid
  pid="$(own_pid "$1")"
  if [ -z "$pid" ]; then
    rm -f "$base/$1.pid"
    return 1
  fi
  kill "-$2" -- "-$pid" 2>/dev/null || kill "-$2" "$pid" 2>/dev/null || true
  if [ "$2" = TERM ]; then
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "the Flink $1 (pid $pid) did not stop within 30 s; killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$base/$1.pid"
}

down() {
  lock
  stop sql-gateway TERM || true
  stop taskmanager TERM || true
  stop jobmanager TERM || true
  rm -f "$base/taskmanager.id"
  if jobmanager_answers || gateway_answers; then
    echo "a Flink this script did not start answers on $rest_url or $gateway_url; stop it where it was started" >&2
  fi
  echo "stopped"
}

kill_taskmanager() {
  lock
  if stop taskmanager KILL; then echo "killed"; else echo "not running"; fi
}

start_taskmanager() {
  lock
  [ -n "$(own_pid jobmanager)" ] || {
    echo "the Flink JobManager of $base does not run; start the whole cluster with: scripts/services/flink.sh up" >&2
    exit 3
  }
  if [ -z "$(own_pid taskmanager)" ]; then
    need_java
    echo "starting the Flink TaskManager (log: $base/taskmanager.log)…" >&2
    start_taskmanager_process
    started_here+=(taskmanager)
  fi
  wait_for "the JobManager did not list a TaskManager on $rest_url/overview" "jobmanager taskmanager" \
    taskmanager_registered
  started_here=()
  echo "started"
}

status() {
  local name pid ok=0 answer
  for name in jobmanager taskmanager sql-gateway; do
    pid="$(own_pid "$name")"
    case "$name" in
      jobmanager) jobmanager_answers && answer="answers on $rest_url" || answer="" ;;
      taskmanager) taskmanager_registered && answer="registered with the JobManager" || answer="" ;;
      sql-gateway) gateway_answers && answer="answers on $gateway_url" || answer="" ;;
    esac
    if [ -n "$answer" ]; then
      echo "Flink $name $answer (${pid:+pid $pid, log $base/$name.log}$([ -n "$pid" ] || echo 'not started by this script'))"
    elif [ -n "$pid" ]; then
      echo "Flink $name (pid $pid) runs but is not ready yet; log: $base/$name.log"
      ok=1
    else
      echo "Flink $name does not run. Start the cluster: npm run flink:up"
      ok=1
    fi
  done
  return "$ok"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  urls) echo "$rest_url"; echo "$gateway_url" ;;
  kill-taskmanager) kill_taskmanager ;;
  start-taskmanager) start_taskmanager ;;
  *) echo "usage: $0 up|down|status|urls|kill-taskmanager|start-taskmanager" >&2; exit 2 ;;
esac
