#!/usr/bin/env bash
# AWS's Event Ruler (software.amazon.event.ruler:event-ruler, the engine Amazon EventBridge matches event patterns
# with), for the differential test of lib/core/patterns (test/e2e/event-ruler-differential.test.ts).
#   scripts/tools/event-ruler.sh build   fetch Event Ruler from Maven Central and compile the harness (first use
#                                        only; `run` does it too), print the classpath
#   scripts/tools/event-ruler.sh run     answer NDJSON pattern/event pairs on stdin, one JVM for all of them:
#     in:  {"id": …, "pattern": "<pattern JSON text>", "event": "<event JSON text>"}
#     out: {"id": …, "result": true|false}, or {"id": …, "error": "<Ruler's message>"} for a pattern Ruler rejects
#          (or {"id": …, "eventError": "…"} for an event it cannot read), one line per input line, in order
# Jars and compiled harness under .services/event-ruler (git-ignored). Needs Java 11+ (a JDK: javac) and, on first
# use, Maven. The version is set in scripts/tools/event-ruler/pom.xml (event-ruler.version); the harness is
# scripts/tools/event-ruler/RulerHarness.java.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
base="$root/.services/event-ruler"
lib="$base/lib"
classes="$base/classes"
src="$root/scripts/tools/event-ruler"
pom="$src/pom.xml"
harness="$src/RulerHarness.java"
version="$(sed -n 's:.*<event-ruler.version>\(.*\)</event-ruler.version>.*:\1:p' "$pom")"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
javac="${JAVA_HOME:+$JAVA_HOME/bin/}javac"

need_java() {
  local v
  if ! command -v "$java" >/dev/null 2>&1 || ! command -v "$javac" >/dev/null 2>&1; then
    echo "Event Ruler needs a Java 11+ JDK (java and javac) and none was found (looked for $java, $javac). Install one (Debian: sudo apt-get install -y openjdk-17-jdk-headless) or set JAVA_HOME." >&2
    exit 3
  fi
  v="$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
  if [ -z "$v" ] || [ "$v" -lt 11 ]; then
    echo "Event Ruler $version needs Java 11 or later; $(command -v "$java") is Java ${v:-of unknown version}. Install a newer one (Debian: sudo apt-get install -y openjdk-17-jdk-headless) or set JAVA_HOME." >&2
    exit 3
  fi
}

# The jars, fetched once from Maven Central into $lib, and the harness compiled into $classes. The stamp names the
# version and the hashes of the POM and the harness source; a change refetches and recompiles.
ensure_built() {
  local stamp tmp started
  [ -n "$version" ] || { echo "no <event-ruler.version> in $pom" >&2; exit 3; }
  stamp="$version $(cat "$pom" "$harness" | sha256sum | cut -c1-16)"
  if [ -f "$classes/.elt-stamp" ] && [ "$(cat "$classes/.elt-stamp")" = "$stamp" ]; then return; fi
  mkdir -p "$base"
  # One build at a time (parallel test runs).
  exec 8>"$base/.build.lock"
  flock 8
  if [ -f "$classes/.elt-stamp" ] && [ "$(cat "$classes/.elt-stamp")" = "$stamp" ]; then exec 8>&-; return; fi
  started=$SECONDS
  if [ ! -f "$lib/.elt-stamp" ] || [ "$(cat "$lib/.elt-stamp")" != "$version $(sha256sum "$pom" | cut -c1-16)" ]; then
    command -v mvn >/dev/null 2>&1 || {
      echo "Event Ruler's jars are not in $lib yet, and fetching them needs Maven: install it (Debian: sudo apt-get install -y maven) and rerun." >&2
      exit 3
    }
    echo "fetching Event Ruler $version from Maven Central into $lib (first run only)…" >&2
    tmp="$base/lib.partial"
    rm -rf "$tmp"
    if ! mvn -q -B -f "$pom" -Delt.ruler.lib="$tmp" dependency:copy-dependencies >"$base/maven.log" 2>&1 </dev/null 8>&-; then
      echo "could not fetch Event Ruler $version from Maven Central (needs https://repo.maven.apache.org, or a mirror in ~/.m2/settings.xml); last lines of $base/maven.log:" >&2
      tail -n 20 "$base/maven.log" >&2 || true
      rm -rf "$tmp"
      exit 3
    fi
    [ -f "$tmp/event-ruler-$version.jar" ] \
      || { echo "Maven finished but $tmp lacks event-ruler-$version.jar; see $base/maven.log" >&2; exit 3; }
    echo "$version $(sha256sum "$pom" | cut -c1-16)" >"$tmp/.elt-stamp"
    rm -rf "$lib"
    mv "$tmp" "$lib"
  fi
  echo "compiling $harness…" >&2
  rm -rf "$classes.partial"
  mkdir -p "$classes.partial"
  "$javac" -nowarn -d "$classes.partial" -cp "$lib/*" "$harness" >&2 8>&- \
    || { rm -rf "$classes.partial"; echo "could not compile $harness against Event Ruler $version" >&2; exit 3; }
  echo "$stamp" >"$classes.partial/.elt-stamp"
  rm -rf "$classes"
  mv "$classes.partial" "$classes"
  exec 8>&-
  echo "built in $((SECONDS - started)) s ($(find "$lib" -name '*.jar' | wc -l) jars)" >&2
}

case "${1:-}" in
  build)
    need_java
    ensure_built
    echo "$classes:$lib/*"
    ;;
  run)
    need_java
    ensure_built
    # A short-lived, single-threaded batch: skip the JIT's top tier and the parallel GC for a faster start.
    exec "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss8m -cp "$classes:$lib/*" RulerHarness
    ;;
  *) echo "usage: $0 build|run   (run: NDJSON pattern/event pairs on stdin, results on stdout)" >&2; exit 2 ;;
esac
