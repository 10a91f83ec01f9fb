import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../lib/adapters/bus/eventbridge-bus.js';
import { BusSettingsError, PutEventsRequestError } from '../../lib/core/bus/bus-errors.js';

const client = new EventBridgeClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const mock = mockClient(client);
beforeEach(() => mock.reset());

const entry = { Source: 'marketplace.web', DetailType: 'PageViewed', Detail: '{"eventId":"e"}' };

describe('EventBridgeBus', () => {
  it('sends the entries to the named bus exactly as given', async () => {
    mock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'id-1' }, { EventId: 'id-2' }] });
    const bus = new EventBridgeBus({ busName: 'elt-dev-bus', client });
    const time = new Date('2026-11-01T10:00:00Z');
    const result = await bus.putEvents([entry, { ...entry, Time: time, Resources: ['arn:aws:x'] }]);
    expect(mock.commandCalls(PutEventsCommand)[0]!.args[0].input).toStrictEqual({
      Entries: [
        { EventBusName: 'elt-dev-bus', ...entry },
        { EventBusName: 'elt-dev-bus', ...entry, Time: time, Resources: ['arn:aws:x'] },
      ],
    });
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'id-1' }, { EventId: 'id-2' }] });
  });

  it('reports per-entry failures in order, as the service does', async () => {
    mock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'id-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const result = await new EventBridgeBus({ busName: 'b', client }).putEvents([entry, entry]);
    expect(result.Entries).toEqual([
      { EventId: 'id-1' },
      { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
    ]);
  });

  it('refuses more than 10 entries before calling the service', async () => {
    const refused = new EventBridgeBus({ busName: 'b', client }).putEvents(Array(11).fill(entry));
    await expect(refused).rejects.toThrow(PutEventsRequestError);
    await expect(refused).rejects.toThrow('Member must have length between 1 and 10 (got 11)');
    expect(mock.calls()).toHaveLength(0);
  });

  it('throws when the whole call fails', async () => {
    mock.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(new EventBridgeBus({ busName: 'b', client }).putEvents([entry])).rejects.toThrow('denied');
  });

  it('rejects a bus name that could not be one', () => {
    expect(() => new EventBridgeBus({ busName: 'has spaces', client })).toThrow(BusSettingsError);
    expect(() => new EventBridgeBus({ busName: 'has spaces', client })).toThrow('not an event bus name');
  });
});
