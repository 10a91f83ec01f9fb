#!/usr/bin/env bash
# Deploys the pipeline's `emulator` environment (cdk.json: target "emulator") to a running MiniStack.
#   scripts/services/emulator-stack.sh deploy    synthesize, bootstrap, deploy both stacks; outputs to .services/ministack/outputs.json
#   scripts/services/emulator-stack.sh destroy   empty the buckets, delete both stacks
# What is deployed: everything but the warehouse. elt-emulator-stateful: the bus (no archive: MiniStack's
# CloudFormation has no AWS::Events::Archive), its rule, the landing queue and its DLQ, the bus target DLQ,
# the raw and access-log buckets, the COPY role and the ingest token secret. elt-emulator-stateless: the
# landing function and its SQS event source mapping, the ELT functions, state machine and schedule, the
# ingest API, the alarm topic, alarms and dashboard. The ELT steps call the Redshift Data API at the
# config's warehouse.dataApiEndpoint (http://127.0.0.1:4599): `npx elt dataapi` over PostgreSQL, run on the
# host (MiniStack has no Redshift). MiniStack runs the functions as host Node processes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
endpoint="$("$root/scripts/services/ministack.sh" url)"
base="$root/.services/ministack"
assembly="$base/cdk.out"
outputs="$base/outputs.json"
stacks=(elt-emulator-stateful elt-emulator-stateless)

# Everything below talks to MiniStack on the loopback interface, never to AWS.
case "$endpoint" in
  http://127.0.0.1:*) ;;
  *) echo "refusing to deploy: the MiniStack endpoint $endpoint is not on 127.0.0.1" >&2; exit 3 ;;
esac
for v in $(compgen -e); do
  case "$v" in AWS_PROFILE | AWS_SESSION_TOKEN | AWS_ENDPOINT_URL_*) unset "$v" ;; esac
done
export AWS_ENDPOINT_URL="$endpoint" AWS_ENDPOINT_URL_S3="$endpoint"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export CDK_DISABLE_VERSION_CHECK=1
# The README states the supported Node versions; the SDK's eight-line notice on Node 20 is kept out of the deploy output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
cdk=("$root/node_modules/.bin/cdk" -c env=emulator -c region="$AWS_REGION" --no-notices --ci)

# "ready_scripts" is in MiniStack's health answer only: a LocalStack on the port does not pass for it.
if ! curl -fsS --max-time 2 "$endpoint/_ministack/health" 2>/dev/null | grep -q '"ready_scripts"'; then
  echo "MiniStack does not answer on $endpoint. Start it first: npm run emulator:up" >&2
  exit 3
fi
cd "$root"

# Runs cdk, its output on stderr; on failure, repeats MiniStack's one-line reason for an unsupported
# resource type (it refuses the whole stack up front, e.g. "Unrecognized resource types: [AWS::Events::Archive]").
run_cdk() {
  local log status=0
  log="$(mktemp)"
  "${cdk[@]}" "$@" 2>&1 | tee "$log" >&2 || status=$?
  if [ "$status" -ne 0 ]; then
    local reason
    reason="$(grep -o 'Unrecognized resource types: \[[^]]*\]' "$log" | head -n 1 || true)"
    [ -n "$reason" ] && echo "MiniStack cannot create this stack: $reason" >&2
  fi
  rm -f "$log"
  return "$status"
}

case "${1:-}" in
  deploy)
    mkdir -p "$base"
    # Synthesized here, with bundling, every time: the repository's cdk.out may be stale or synthesized
    # with bundling skipped (an asset path of the whole repository, which the CLI would zip for minutes).
    echo "synthesizing the emulator environment into $assembly…" >&2
    rm -rf "$assembly"
    run_cdk --app "npx tsx bin/app.ts" -o "$assembly" synth --all --quiet
    echo "bootstrapping aws://000000000000/$AWS_REGION on MiniStack…" >&2
    run_cdk --app "$assembly" bootstrap "aws://000000000000/$AWS_REGION"
    echo "deploying ${stacks[*]} to $endpoint…" >&2
    run_cdk --app "$assembly" deploy "${stacks[@]}" --require-approval never --outputs-file "$outputs"
    # MiniStack differs from AWS here: CloudFormation's Ref of an AWS::SecretsManager::Secret gives the
    # secret's name, where AWS gives its ARN. The ingest function checks INGEST_TOKEN_SECRET_ARN is an ARN (it
    # is, on AWS) and fails at init otherwise, so this sets the ARN in its environment and in the outputs.
    node --input-type=module -e '
      import { readFileSync, writeFileSync } from "node:fs";
      import { SecretsManagerClient, DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
      const file = process.argv[1], endpoint = process.env.AWS_ENDPOINT_URL;
      const all = JSON.parse(readFileSync(file, "utf8"));
      const stateful = all["elt-emulator-stateful"] ?? {};
      const name = stateful.IngestTokenSecretArn;
      if (!name || name.startsWith("arn:")) process.exit(0);
      const { ARN: arn } = await new SecretsManagerClient({}).send(new DescribeSecretCommand({ SecretId: name }));
      // Lambda through its REST API (the repository does not depend on its SDK client; MiniStack checks no signature).
      const lambda = (path, init) => fetch(`${endpoint}/2015-03-31/functions/${path}`, init).then(async (r) => {
        if (!r.ok) throw new Error(`Lambda ${path}: ${r.status} ${await r.text()}`);
        return r.json();
      });
      const { Functions = [] } = await lambda("");
      for (const f of Functions) {
        const vars = f.Environment?.Variables ?? {};
        if (vars.INGEST_TOKEN_SECRET_ARN !== name) continue;
        await lambda(`${encodeURIComponent(f.FunctionName)}/configuration`, { method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ Environment: { Variables: { ...vars, INGEST_TOKEN_SECRET_ARN: arn } } }) });
        console.error(`set INGEST_TOKEN_SECRET_ARN of ${f.FunctionName} to ${arn} (MiniStack Ref gave the name)`);
      }
      stateful.IngestTokenSecretArn = arn;
      writeFileSync(file, JSON.stringify(all, null, 2) + "\n");
    ' "$outputs" >&2
    node -e '
      const all = require(process.argv[1]);
      const a = all["elt-emulator-stateful"] ?? {}, b = all["elt-emulator-stateless"] ?? {};
      // The API answers on MiniStack at /_aws/execute-api/<apiId>/ (the $default stage), not on the AWS host the output names.
      const local = (u) => { const id = /^https?:\/\/([^.]+)\.execute-api\./.exec(u ?? "")?.[1]; return id ? `${process.argv[2]}/_aws/execute-api/${id}/` : u; };
      console.error(`\ndeployed to MiniStack (${process.argv[2]}):`);
      for (const [k, v] of Object.entries({ bus: a.BusName, "raw bucket": a.RawBucketName, queue: a.LandingQueueUrl,
        DLQ: a.LandingDeadLetterQueueUrl, "state machine": b.StateMachineArn, "ingest API": local(b.IngestApiUrl),
        "alarm topic": b.AlarmTopicArn })) console.error(`  ${k.padEnd(14)}${v ?? "-"}`);
      console.error(`\nnext: npx elt dataapi --port 4599 --postgres <url> --s3-endpoint ${process.argv[2]}   (the ELT steps call it)`);
      console.error(`      eval "$(scripts/services/ministack.sh env)"; npx elt publish --file events.ndjson --bus eventbridge:${a.BusName}`);
      console.error(`      aws stepfunctions start-execution --state-machine-arn ${b.StateMachineArn}   (or wait for the schedule)`);
    ' "$outputs" "$endpoint"
    echo "$outputs"
    ;;
  destroy)
    # The buckets are kept on delete (RemovalPolicy RETAIN), and a bucket with objects cannot be deleted:
    # empty every bucket of the stateful stack first (every version). Their contents die with MiniStack's state anyway.
    # The stateful stack's buckets, from CloudFormation through its query API (the repository does not depend
    # on its SDK client; MiniStack checks no signature).
    mapfile -t buckets < <(node --input-type=module -e '
      const res = await fetch(process.env.AWS_ENDPOINT_URL, { method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ Action: "DescribeStackResources", Version: "2010-05-15", StackName: process.argv[1] }) });
      const xml = res.ok ? await res.text() : "";
      for (const m of xml.matchAll(/<member>([\s\S]*?)<\/member>/g))
        if (m[1].includes("<ResourceType>AWS::S3::Bucket</ResourceType>"))
          console.log(/<PhysicalResourceId>([^<]+)</.exec(m[1])?.[1] ?? "");
    ' "${stacks[0]}")
    node "$root/scripts/services/empty-buckets.mjs" "${buckets[@]}" >&2
    # The stateful stack has termination protection (it holds the data on AWS). This is MiniStack (the
    # endpoint is checked above), whose state dies with it anyway: lift it so the stack can go.
    curl -fsS --max-time 10 -X POST "$endpoint/" -d "Action=UpdateTerminationProtection&Version=2010-05-15&StackName=${stacks[0]}&EnableTerminationProtection=false" >/dev/null 2>&1 || true
    app="npx tsx bin/app.ts"
    [ -d "$assembly" ] && app="$assembly"
    # Both at once: the CLI deletes the stateless stack (it uses the stateful stack's exports) first.
    run_cdk --app "$app" destroy "${stacks[@]}" --force
    rm -f "$outputs"
    echo "destroyed"
    ;;
  *) echo "usage: $0 deploy|destroy" >&2; exit 2 ;;
esac
