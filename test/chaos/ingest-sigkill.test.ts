import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okJson, runCli, startCli, waitFor, type RunningCli } from '../support/cli.js';

// `elt serve` on the embedded defaults (the in-process bus, landing into a data directory) killed with
// SIGKILL while it answers requests, then started again on the same directory: every request that got no
// 2xx is retried with its key and body, and after an ELT run every acknowledged event is in `stg_events`
// exactly once. A 2xx means the event is durable (in the ingest log, or landed), whatever moment the
// process dies at. No service is needed: this suite runs in `npm test`.

const TOKEN = 'sigkill-token-0123456789abcdef';
const ENV = { ELT_INGEST_TOKEN: TOKEN };
let work: string;
const figures: Record<string, unknown>[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'elt-sigkill-'));
});

afterAll(async () => {
  for (const f of figures) console.log(`sigkill figures: ${JSON.stringify(f)}`);
  if (work) await rm(work, { recursive: true, force: true });
});

/** `elt serve` on a data directory; resolves once it listens. */
async function serve(dataDir: string): Promise<{ port: number; proc: RunningCli }> {
  const proc = startCli(['serve', '--port', '0', '--json', '--data-dir', dataDir], ENV);
  let port = 0;
  await waitFor(
    'elt serve to listen',
    () => {
      const line = proc
        .stdout()
        .split('\n')
        .find((l) => l.includes('"listening"'));
      if (line) port = Number(new URL((JSON.parse(line) as { listening: string }).listening).port);
      if (proc.child.exitCode !== null) throw new Error(`elt serve exited: ${proc.stderr()}`);
      return port > 0;
    },
    60_000,
  );
  return { port, proc };
}

const entry = (i: number): Record<string, unknown> => ({
  source: 'marketplace.users',
  'detail-type': 'UserLoggedIn',
  detail: { userId: `u_${i}`, sessionId: `s_${i}`, method: 'password', device: 'desktop', schemaVersion: 1 },
});

/** One request: resolves with its status and body, or status 0 when the connection failed (no answer). */
async function post(port: number, key: string, body: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

interface Request {
  readonly key: string;
  readonly body: string;
  status: number;
  /** The event ids of the 2xx answer. */
  eventIds: readonly string[];
}

/** Sends every request, `parallel` at a time; `onAnswer` sees each answer as it comes. */
async function drive(
  port: number,
  requests: readonly Request[],
  parallel: number,
  onAnswer: (r: Request) => void = () => undefined,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const answer = await post(port, r.key, r.body);
      r.status = answer.status;
      if (ok(r)) r.eventIds = (JSON.parse(answer.text) as { eventIds: string[] }).eventIds;
      onAnswer(r);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

const ok = (r: Request): boolean => r.status >= 200 && r.status < 300;

/**
 * Drives `count` requests at `elt serve`, SIGKILLs it once `killAfterAcks` of them are acknowledged (at
 * least `minDelayMs` after the first acknowledgement, at most `maxDelayMs`), restarts it, retries every
 * request without a 2xx, stops it, runs the ELT and checks `stg_events`.
 */
async function scenario(
  name: string,
  count: number,
  kill: { afterAcks: number; withinMs?: number },
): Promise<void> {
  const dataDir = join(work, name);
  const requests: Request[] = Array.from({ length: count }, (_, i) => ({
    key: randomUUID(),
    body: JSON.stringify(entry(i)),
    status: -1,
    eventIds: [],
  }));
  const first = await serve(dataDir);
  let acks = 0;
  let killedAt: number | undefined;
  let firstAckAt: number | undefined;
  const killNow = (): void => {
    if (killedAt !== undefined) return;
    killedAt = acks;
    first.proc.child.kill('SIGKILL');
  };
  const driving = drive(first.port, requests, 64, (r) => {
    if (!ok(r)) return;
    acks++;
    firstAckAt ??= Date.now();
    if (kill.withinMs !== undefined && acks === 1) setTimeout(killNow, kill.withinMs);
    if (acks >= kill.afterAcks) killNow();
  });
  await driving;
  killNow();
  await first.proc.done;
  const acknowledged = new Set(requests.filter(ok).flatMap((r) => r.eventIds));
  expect(acknowledged.size, 'some requests were acknowledged before the kill').toBeGreaterThan(0);
  const killedAfterMs = firstAckAt === undefined ? undefined : Date.now() - firstAckAt;

  const second = await serve(dataDir);
  let unanswered = requests.filter((r) => !ok(r));
  const retried = unanswered.length;
  for (let round = 0; unanswered.length > 0 && round < 20; round++) {
    await drive(second.port, unanswered, 32);
    unanswered = unanswered.filter((r) => !ok(r));
    if (unanswered.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  expect(unanswered.map((r) => r.status)).toEqual([]);
  second.proc.child.kill('SIGTERM');
  const stopped = await second.proc.done;
  expect(stopped.code, stopped.stderr.slice(-3000)).toBe(0);

  await okJson(runCli(['run', '--data-dir', dataDir, '--json'], { timeoutMs: 300_000 }));
  const rows = (await okJson(
    runCli(['query', 'SELECT event_id FROM stg_events', '--json', '--data-dir', dataDir]),
  )) as unknown as { event_id: string }[];
  const inWarehouse = new Map<string, number>();
  for (const r of rows) inWarehouse.set(r.event_id, (inWarehouse.get(r.event_id) ?? 0) + 1);
  const lost = [...acknowledged].filter((k) => !inWarehouse.has(k));
  const duplicated = [...inWarehouse].filter(([, n]) => n > 1).length;
  figures.push({
    scenario: name,
    requests: count,
    acknowledgedBeforeKill: acknowledged.size,
    killedAfterAcks: killedAt,
    killedAfterMs,
    retried,
    inWarehouse: rows.length,
    lost: lost.length,
    duplicated,
  });
  expect(lost.length, `acknowledged events lost: ${lost.length} of ${acknowledged.size}`).toBe(0);
  expect(duplicated).toBe(0);
  // Every request was acknowledged in the end (before the kill or on a retry): all of them, once each.
  expect(rows.length).toBe(count);
}

describe('elt serve killed with SIGKILL', () => {
  it('keeps every acknowledged event when killed at a random moment under load', async () => {
    await scenario('random', 1500, { afterAcks: 300 + Math.floor(Math.random() * 900) });
  }, 300_000);

  it('keeps every acknowledged event when killed before the first batching window closes', async () => {
    await scenario('first-window', 1000, { afterAcks: 1000, withinMs: 300 });
  }, 300_000);
});
