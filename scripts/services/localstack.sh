#!/usr/bin/env bash
# LocalStack (S3, SQS, EventBridge, CloudFormation, IAM, Lambda control plane) for `npm run test:localstack`
# and for users, with or without Docker.
#   scripts/services/localstack.sh up       start it (Docker when an engine answers, else the host runtime)
#   scripts/services/localstack.sh down     stop what `up` started
#   scripts/services/localstack.sh status   print whether it answers, and how it runs
#   scripts/services/localstack.sh url      print its endpoint
#   scripts/services/localstack.sh env      print the exports that point the AWS SDK and CLI at it:
#                                           eval "$(scripts/services/localstack.sh env)"
# ELT_LOCALSTACK_MODE=host|docker forces a mode. ELT_LOCALSTACK_PORT changes the port (default 4566).
# Host mode: localstack-core[runtime] from PyPI in .venv/localstack (installed on first use; Python 3.11+),
# bound to 127.0.0.1, state and log under .services/localstack (git-ignored), stopped by its own pid.
# Docker mode: `docker compose up -d localstack` with the repository's docker-compose.yml.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# ELT_LOCALSTACK_HOME puts a second LocalStack (with another ELT_LOCALSTACK_PORT) in a folder of its own.
base="${ELT_LOCALSTACK_HOME:-$root/.services/localstack}"
venv="$root/.venv/localstack"
version="4.13.1"
constraints="$root/scripts/services/localstack-constraints.txt"
port="${ELT_LOCALSTACK_PORT:-4566}"
url="http://127.0.0.1:$port"
log="$base/localstack.log"
pidfile="$base/localstack.pid"
modefile="$base/mode"

healthy() {
  curl -fsS --max-time 2 "$url/_localstack/health" 2>/dev/null | grep -q '"services"'
}

# Whether anything accepts TCP connections on the port.
port_taken() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null
}

# Whether the host-mode LocalStack this script started still runs.
own_host_process() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

docker_works() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

# A Python for the host runtime: $ELT_LOCALSTACK_PYTHON, else 3.13 (what LocalStack's image runs; parts of
# it, such as its package installers, need 3.13), else 3.11 or 3.12 (enough for S3, SQS, EventBridge and
# CloudFormation, the services this project uses).
find_python() {
  local c
  for c in ${ELT_LOCALSTACK_PYTHON:-} python3.13 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 \
    /usr/local/bin/python3.13 /usr/bin/python3.13 python3.12 python3.11 python3; do
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' >/dev/null 2>&1; then
      command -v "$c"
      return
    fi
  done
}

install_host_runtime() {
  # Two LocalStacks starting at once share the virtualenv: one installs, the other waits.
  mkdir -p "$root/.venv"
  exec 8>"$root/.venv/localstack.lock"
  flock 8
  local py stamp
  py="$(find_python)"
  [ -n "$py" ] || { echo "LocalStack's host runtime needs Python 3.11 or later (none found; set ELT_LOCALSTACK_PYTHON to one), or install Docker and rerun." >&2; exit 3; }
  # The stamp names the version, the Python and the constraints it was installed with; a change reinstalls.
  stamp="$version $("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])') $(sha256sum "$constraints" | cut -c1-16)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.elt-stamp" 2>/dev/null)" = "$stamp" ]; then exec 8>&-; return; fi
  echo "installing localstack-core[runtime]==$version into $venv (first run only, about a minute)…" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2 || { echo "could not create a virtualenv at $venv (install python3-venv)" >&2; exit 3; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check -c "$constraints" "localstack-core[runtime]==$version" >&2 \
    || { echo "could not install localstack-core[runtime]==$version from PyPI" >&2; exit 3; }
  echo "$stamp" >"$venv/.elt-stamp"
  exec 8>&-
}

wait_healthy() {
  for _ in $(seq 1 120); do
    if healthy; then return 0; fi
    if [ "${1:-}" = host ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "LocalStack exited while starting; last lines of $log:" >&2
      tail -n 30 "$log" >&2 || true
      rm -f "$pidfile"
      exit 3
    fi
    sleep 1
  done
  echo "LocalStack did not answer on $url within 120 s; see $log" >&2
  exit 3
}

up() {
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  if healthy; then echo "$url"; return; fi
  # Checked before anything is installed or started. A LocalStack this script started that is still starting
  # holds the port too: that one is handled below (host mode stops it; a container is left to compose).
  if port_taken && ! own_host_process && [ "$(cat "$modefile" 2>/dev/null)" != docker ]; then
    echo "something already listens on $url but does not answer as LocalStack (this script did not start it: another program, or a LocalStack still starting elsewhere). Stop it, or set ELT_LOCALSTACK_PORT to a free port (and ELT_LOCALSTACK_HOME to a folder of its own for a second LocalStack)." >&2
    exit 3
  fi
  local mode="${ELT_LOCALSTACK_MODE:-}"
  if [ -z "$mode" ]; then
    if docker_works; then mode=docker; else mode=host; fi
  fi
  case "$mode" in
    docker)
      echo "starting LocalStack with docker compose (log: docker compose logs localstack)…" >&2
      LOCALSTACK_PORT="$port" docker compose -f "$root/docker-compose.yml" up -d localstack >&2
      echo docker >"$modefile"
      wait_healthy docker
      ;;
    host)
      install_host_runtime
      if own_host_process; then
        echo "a LocalStack started earlier (pid $(cat "$pidfile")) does not answer on $url; stopping it" >&2
        down >/dev/null
      fi
      mkdir -p "$base/state"
      echo "starting LocalStack $version on $url (host runtime, log: $log)…" >&2
      # GATEWAY_SERVER=hypercorn: LocalStack's default (twisted) gateway binds every interface whatever
      # GATEWAY_LISTEN's host says (it passes only the port to TCP4ServerEndpoint, localstack-core 4.13.1,
      # localstack/aws/serving/twisted.py); hypercorn binds the host given, so 127.0.0.1 only.
      (
        cd "$base"
        GATEWAY_LISTEN="127.0.0.1:$port" \
          GATEWAY_SERVER=hypercorn \
          DNS_ADDRESS=0 \
          SKIP_SSL_CERT_DOWNLOAD=1 \
          DISABLE_EVENTS=1 \
          LOCALSTACK_TELEMETRY_DISABLED=1 \
          LOCALSTACK_HOST="127.0.0.1:$port" \
          SQS_ENDPOINT_STRATEGY=path \
          SERVICES="s3,sqs,events,cloudformation,iam,sts,lambda,logs,ssm,ecr,kms,cloudwatch,sns" \
          EAGER_SERVICE_LOADING=0 \
          FILESYSTEM_ROOT="$base/state" \
          TMPDIR="$base/state" \
          exec setsid "$venv/bin/python" -m localstack.runtime.main >"$log" 2>&1 9>&- </dev/null
      ) &
      echo $! >"$pidfile"
      echo host >"$modefile"
      wait_healthy host
      ;;
    *) echo "ELT_LOCALSTACK_MODE must be host or docker, got $mode" >&2; exit 2 ;;
  esac
  echo "$url"
}

down() {
  local mode
  mode="$(cat "$modefile" 2>/dev/null || echo host)"
  if [ "$mode" = docker ]; then
    docker compose -f "$root/docker-compose.yml" stop localstack >/dev/null 2>&1 || true
  elif [ -f "$pidfile" ]; then
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      # setsid made it a process group of its own: stop the whole group, then wait for it.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  fi
  rm -f "$modefile"
  # State does not outlive a stop: the next `up` starts empty, like a fresh container.
  rm -rf "$base/state"
  echo "stopped"
}

status() {
  if healthy; then echo "LocalStack answers on $url ($(cat "$modefile" 2>/dev/null || echo 'started elsewhere'))"
  else echo "LocalStack does not answer on $url. Start it: npm run localstack:up"; return 1; fi
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
