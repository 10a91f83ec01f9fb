import { EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/program.js';

// No AWS here: the exact StartReplay request `elt replay --bus eventbridge:…` sends is what is checked.
const mock = mockClient(EventBridgeClient);
afterEach(() => {
  mock.reset();
  vi.restoreAllMocks();
});

const ARCHIVE = 'arn:aws:events:eu-west-1:123456789012:archive/elt-dev-bus-archive';

describe('elt replay on AWS', () => {
  it('starts an archive replay of the window into the bus', async () => {
    mock
      .on(StartReplayCommand)
      .resolves({ State: 'STARTING', ReplayArn: 'arn:aws:events:eu-west-1:123456789012:replay/r1' });
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const code = await main([
      'node',
      'elt',
      'replay',
      '--bus',
      'eventbridge:elt-dev-bus',
      '--archive',
      ARCHIVE,
      '--from',
      '2026-11-01T00:00:00Z',
      '--to',
      '2026-11-01T06:00:00Z',
      '--name',
      'r1',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(mock.commandCalls(StartReplayCommand)[0]!.args[0].input).toStrictEqual({
      ReplayName: 'r1',
      EventSourceArn: ARCHIVE,
      EventStartTime: new Date('2026-11-01T00:00:00Z'),
      EventEndTime: new Date('2026-11-01T06:00:00Z'),
      Destination: { Arn: 'arn:aws:events:eu-west-1:123456789012:event-bus/elt-dev-bus' },
    });
    expect(JSON.parse(out.join('').trim())).toMatchObject({ replay: 'r1', state: 'STARTING' });
  });

  it('needs an archive ARN', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    const code = await main([
      'node',
      'elt',
      'replay',
      '--bus',
      'eventbridge:b',
      '--from',
      '2026-11-01T00:00:00Z',
      '--to',
      '2026-11-02T00:00:00Z',
    ]);
    expect(code).toBe(1);
    expect(err.join('')).toContain('--archive <archive ARN> is required');
    expect(mock.commandCalls(StartReplayCommand)).toHaveLength(0);
  });
});
