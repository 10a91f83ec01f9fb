/**
 * Checks an EventBridge Scheduler expression before deployment, so a typo fails synthesis with a precise
 * message instead of failing the CloudFormation deployment.
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
import { EltError } from '../core/util/errors.js';

/** A schedule expression that EventBridge Scheduler would reject. */
export class ScheduleExpressionError extends EltError {
  constructor(expression: string, why: string) {
    super(`schedule ${JSON.stringify(expression)} is not valid: ${why}`);
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Extra single tokens allowed in the field (`?`, `L`, `W` forms, `#`). */
  readonly special?: RegExp;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|L-\d{1,2}|\d{1,2}W|LW)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: DAYS,
    special: /^(\?|[1-7]L|[1-7]#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/i,
  },
  { name: 'year', min: 1970, max: 2199 },
];

function value(expression: string, field: FieldSpec, token: string): number {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token))
    throw new ScheduleExpressionError(
      expression,
      `${field.name} has "${token}", not a number${field.names ? ' or name' : ''}`,
    );
  const v = Number(token);
  if (v < field.min || v > field.max) {
    throw new ScheduleExpressionError(
      expression,
      `${field.name} value ${v} is outside ${field.min}–${field.max}`,
    );
  }
  return v;
}

function checkField(expression: string, field: FieldSpec, text: string): void {
  if (field.special?.test(text)) return;
  for (const part of text.split(',')) {
    if (part === '') throw new ScheduleExpressionError(expression, `${field.name} has an empty list item`);
    const [range, step, extra] = part.split('/');
    if (extra !== undefined)
      throw new ScheduleExpressionError(expression, `${field.name} has more than one "/" in "${part}"`);
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) {
      throw new ScheduleExpressionError(
        expression,
        `${field.name} step "${step}" must be a positive integer`,
      );
    }
    if (range === '*') continue;
    const [from, to, more] = (range ?? '').split('-');
    if (more !== undefined)
      throw new ScheduleExpressionError(expression, `${field.name} range "${range}" has more than one "-"`);
    const a = value(expression, field, from ?? '');
    if (to !== undefined && value(expression, field, to) < a) {
      throw new ScheduleExpressionError(expression, `${field.name} range "${range}" runs backwards`);
    }
  }
}

/** Throws {@link ScheduleExpressionError} unless the expression is a valid `rate(…)` or `cron(…)`. */
export function validateScheduleExpression(expression: string): void {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]!.trim());
    if (!m)
      throw new ScheduleExpressionError(
        expression,
        'a rate is "rate(<n> minute|minutes|hour|hours|day|days)"',
      );
    const n = Number(m[1]);
    if (n < 1) throw new ScheduleExpressionError(expression, 'the rate must be at least 1');
    if ((n === 1) !== !m[2]!.endsWith('s')) {
      throw new ScheduleExpressionError(
        expression,
        `use "${n} ${n === 1 ? m[2]!.replace(/s$/, '') : `${m[2]!.replace(/s$/, '')}s`}"`,
      );
    }
    return;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new ScheduleExpressionError(expression, 'expected rate(…) or cron(…)');
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleExpressionError(
      expression,
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`,
    );
  }
  FIELDS.forEach((field, i) => checkField(expression, field, parts[i]!));
  const [, , dom, , dow] = parts;
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(expression, 'exactly one of day-of-month and day-of-week must be "?"');
  }
}
