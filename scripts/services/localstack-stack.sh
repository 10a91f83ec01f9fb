#!/usr/bin/env bash
# Deploys the pipeline's `local` environment (cdk.json: target "localstack") to a running LocalStack.
#   scripts/services/localstack-stack.sh deploy    bootstrap, synthesize, deploy; outputs to .services/localstack/outputs.json
#   scripts/services/localstack-stack.sh destroy   delete the stack
# What is deployed: the bus, its archive and rules, the landing queue and its DLQ, the bus target DLQ and
# the raw bucket (stack elt-local-stateful). Redshift Serverless, the ELT workflow and the landing function
# are not: LocalStack runs none of them without Docker and a paid plan. `elt land` plays the landing
# function's event source mapping with the bundle `cdk synth` wrote to cdk.out (stack elt-local-stateless).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
port="${ELT_LOCALSTACK_PORT:-4566}"
endpoint="http://127.0.0.1:$port"
outputs="$root/.services/localstack/outputs.json"
stack="elt-local-stateful"
export AWS_ENDPOINT_URL="$endpoint" AWS_ENDPOINT_URL_S3="$endpoint"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export CDK_DISABLE_VERSION_CHECK=1
# The README states the supported Node versions; the SDK's eight-line notice on Node 20 is kept out of the deploy output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
cdk=("$root/node_modules/.bin/cdk" --app "npx tsx bin/app.ts" -c env=local -c region="$AWS_REGION" --no-notices --ci)

if ! curl -fsS --max-time 2 "$endpoint/_localstack/health" >/dev/null 2>&1; then
  echo "LocalStack does not answer on $endpoint. Start it first: npm run localstack:up" >&2
  exit 3
fi
cd "$root"
case "${1:-}" in
  deploy)
    mkdir -p "$(dirname "$outputs")"
    echo "bootstrapping aws://000000000000/$AWS_REGION on LocalStack…" >&2
    "${cdk[@]}" bootstrap "aws://000000000000/$AWS_REGION" >&2
    echo "deploying $stack to $endpoint…" >&2
    "${cdk[@]}" deploy "$stack" --require-approval never --outputs-file "$outputs" >&2
    node -e '
      const o = require(process.argv[1])[process.argv[2]];
      console.error(`\ndeployed to LocalStack:\n  bus          ${o.BusName}\n  raw bucket   ${o.RawBucketName}\n  queue        ${o.LandingQueueUrl}\n  DLQ          ${o.LandingDeadLetterQueueUrl}\n`);
      console.error(`next: eval "$(scripts/services/localstack.sh env)"; npx elt publish --file events.ndjson --bus eventbridge:${o.BusName}`);
      console.error(`      npx elt land --outputs ${process.argv[1]} --until-drained; npx elt run --store s3://${o.RawBucketName}/`);
    ' "$outputs" "$stack"
    echo "$outputs"
    ;;
  destroy)
    # LocalStack deletes a bucket even when its policy is Retain, and cannot delete one with objects in
    # it: empty the raw bucket (every version) first. Its contents die with LocalStack's state anyway.
    if [ -f "$outputs" ]; then
      bucket="$(node -p 'require(process.argv[1])[process.argv[2]]?.RawBucketName ?? ""' "$outputs" "$stack" || true)"
      node "$root/scripts/services/empty-buckets.mjs" "$bucket" >&2
    fi
    "${cdk[@]}" destroy "$stack" --force >&2
    rm -f "$outputs"
    echo "destroyed"
    ;;
  *) echo "usage: $0 deploy|destroy" >&2; exit 2 ;;
esac
