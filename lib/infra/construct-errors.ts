import { EltError } from '../core/util/errors.js';

/**
 * Props a construct or stack cannot build from (a value out of range, an impossible combination, a
 * resource it needs and was not given), rejected in the constructor so synthesis fails with a message that
 * names the construct and the prop.
 */
export class ConstructPropsError extends EltError {}
