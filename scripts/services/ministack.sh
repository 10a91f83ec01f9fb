#!/usr/bin/env bash
# MiniStack (a LocalStack-compatible emulator, MIT) for the pipeline's functions, workflow, schedules and API:
# it runs Node.js Lambda functions as host processes, Step Functions, EventBridge (rules and Scheduler),
# API Gateway HTTP APIs, SQS, SNS, S3, DynamoDB, Secrets Manager, CloudWatch and CloudFormation. No Docker.
#   scripts/services/ministack.sh up       start it
#   scripts/services/ministack.sh down     stop what `up` started, function workers included
#   scripts/services/ministack.sh status   print whether it answers
#   scripts/services/ministack.sh url      print its endpoint
#   scripts/services/ministack.sh env      print the exports that point the AWS SDK and CLI at it:
#                                          eval "$(scripts/services/ministack.sh env)"
# ELT_MINISTACK_PORT changes the port (default 4567, so it runs beside LocalStack on 4566).
# ministack from PyPI in .venv/ministack (installed on first use; Python 3.10+), bound to 127.0.0.1, state
# and log under .services/ministack (git-ignored), run as a process group of its own and stopped by
# stopping that group: the `node` processes it starts for Lambda functions are its children, in its group.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# ELT_MINISTACK_HOME puts a second MiniStack (with another ELT_MINISTACK_PORT) in a folder of its own.
base="${ELT_MINISTACK_HOME:-$root/.services/ministack}"
venv="$root/.venv/ministack"
version="1.5.33"
constraints="$root/scripts/services/ministack-constraints.txt"
port="${ELT_MINISTACK_PORT:-4567}"
url="http://127.0.0.1:$port"
log="$base/ministack.log"
pidfile="$base/ministack.pid"

# "ready_scripts" is in MiniStack's health answer only, so a LocalStack on the port does not pass for it.
healthy() {
  curl -fsS --max-time 2 "$url/_ministack/health" 2>/dev/null | grep -q '"ready_scripts"'
}

# Whether anything accepts TCP connections on the port.
port_taken() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null
}

# Whether the MiniStack this script started still runs.
own_process() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# A Python for MiniStack: $ELT_MINISTACK_PYTHON, else the newest 3.10+ found (ministack 1.5.33 requires >=3.10).
find_python() {
  local c
  for c in ${ELT_MINISTACK_PYTHON:-} python3.13 python3.12 python3.11 python3.10 python3; do
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)' >/dev/null 2>&1; then
      command -v "$c"
      return
    fi
  done
}

install_runtime() {
  # Two MiniStacks starting at once share the virtualenv: one installs, the other waits.
  mkdir -p "$root/.venv"
  exec 8>"$root/.venv/ministack.lock"
  flock 8
  local py stamp
  py="$(find_python)"
  [ -n "$py" ] || { echo "MiniStack needs Python 3.10 or later (none found; set ELT_MINISTACK_PYTHON to one)." >&2; exit 3; }
  # The stamp names the version, the Python and the constraints it was installed with; a change reinstalls.
  stamp="$version $("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])') $(sha256sum "$constraints" | cut -c1-16)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.elt-stamp" 2>/dev/null)" = "$stamp" ]; then exec 8>&-; return; fi
  echo "installing ministack==$version into $venv (first run only, about 15 seconds)…" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2 || { echo "could not create a virtualenv at $venv (install python3-venv)" >&2; exit 3; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check -c "$constraints" "ministack==$version" >&2 \
    || { echo "could not install ministack==$version from PyPI" >&2; exit 3; }
  echo "$stamp" >"$venv/.elt-stamp"
  exec 8>&-
}

wait_healthy() {
  for _ in $(seq 1 60); do
    if healthy; then return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "MiniStack exited while starting; last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
      rm -f "$pidfile"
      exit 3
    fi
    sleep 0.5
  done
  echo "MiniStack did not answer on $url within 30 s; see $log" >&2
  exit 3
}

up() {
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  if healthy; then echo "$url"; return; fi
  # Checked before anything is installed or started. A MiniStack this script started that is still
  # starting holds the port too: that one is stopped below.
  if port_taken && ! own_process; then
    echo "something already listens on $url but does not answer as MiniStack (this script did not start it). Stop it, or set ELT_MINISTACK_PORT to a free port (and ELT_MINISTACK_HOME to a folder of its own for a second MiniStack)." >&2
    exit 3
  fi
  install_runtime
  if own_process; then
    echo "a MiniStack started earlier (pid $(cat "$pidfile")) does not answer on $url; stopping it" >&2
    down >/dev/null
  fi
  mkdir -p "$base/state/tmp" "$base/state/s3" "$base/state/persist"
  # Function code is unpacked, beside MiniStack's CommonJS worker script (_worker.js), under TMPDIR. Without
  # this file Node takes the repository's package.json ("type": "module") for theirs: the worker dies with
  # "require is not defined in ES module scope" and every invoke fails with "Worker process exited
  # immediately". With it, a bundle resolves as on AWS, where /var/task has no package.json above it:
  # .mjs is ESM, .js is CommonJS unless the bundle ships its own package.json.
  echo '{"type":"commonjs"}' >"$base/state/tmp/package.json"
  echo "starting MiniStack $version on $url (log: $log)…" >&2
  # The function workers inherit this environment ({**os.environ, **function variables}, ministack
  # core/lambda_runtime.py Worker._spawn). So: no AWS_ENDPOINT_URL* from the caller's shell, which
  # would win over the http://127.0.0.1:$port MiniStack gives them and send their SDK calls elsewhere;
  # no real credentials or profile; TMPDIR keeps the extracted function code and the pid file MiniStack
  # writes under $base. PERSIST_STATE=0: state does not outlive a stop, like a fresh container.
  (
    cd "$base"
    for v in $(compgen -e); do
      case "$v" in AWS_ENDPOINT_URL* | AWS_PROFILE | AWS_SESSION_TOKEN | LOCALSTACK_HOSTNAME) unset "$v" ;; esac
    done
    BIND_HOST=127.0.0.1 \
      GATEWAY_PORT="$port" \
      MINISTACK_REGION=us-east-1 \
      AWS_ACCESS_KEY_ID=test \
      AWS_SECRET_ACCESS_KEY=test \
      AWS_DEFAULT_REGION=us-east-1 \
      LAMBDA_EXECUTOR=local \
      PERSIST_STATE=0 \
      STATE_DIR="$base/state/persist" \
      S3_DATA_DIR="$base/state/s3" \
      TMPDIR="$base/state/tmp" \
      SFTP_ENABLED=0 \
      IOT_MTLS_ENABLED=0 \
      LOG_LEVEL=INFO \
      PYTHONUNBUFFERED=1 \
      exec setsid "$venv/bin/ministack" >"$log" 2>&1 9>&- </dev/null
  ) &
  echo $! >"$pidfile"
  wait_healthy
  echo "$url"
}

down() {
  if [ -f "$pidfile" ]; then
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      # setsid made it a process group of its own, the function workers included: stop the whole group.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    # Workers that outlive the server (it exits on SIGTERM without waiting for them) go too.
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  # State does not outlive a stop: the next `up` starts empty.
  rm -rf "$base/state"
  echo "stopped"
}

status() {
  if healthy; then echo "MiniStack answers on $url ($(own_process && echo "pid $(cat "$pidfile")" || echo 'started elsewhere'))"
  else echo "MiniStack does not answer on $url. Start it: npm run emulator:up"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  url) echo "$url" ;;
  env)
    echo "export AWS_ENDPOINT_URL=$url AWS_ENDPOINT_URL_S3=$url"
    echo "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
    ;;
  *) echo "usage: $0 up|down|status|url|env" >&2; exit 2 ;;
esac
