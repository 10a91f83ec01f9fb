import { EltError } from '../util/errors.js';

/** A PutEvents request a bus refuses as a whole (not a per-entry error), as EventBridge's ValidationException. */
export class PutEventsRequestError extends EltError {}

/** A bus built with settings it cannot work with (a bus name, brokers, a rule's target). */
export class BusSettingsError extends EltError {}
