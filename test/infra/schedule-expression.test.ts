import { describe, expect, it } from 'vitest';
import { ScheduleExpressionError, validateScheduleExpression } from '../../lib/infra/schedule-expression.js';

// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
describe('validateScheduleExpression', () => {
  it.each([
    'rate(1 hour)',
    'rate(5 minutes)',
    'rate(1 day)',
    'cron(0 * * * ? *)',
    'cron(15 10 ? * 6L 2026-2030)',
    'cron(0/15 8-17 ? * MON-FRI *)',
    'cron(0 12 1 JAN,JUL ? *)',
    'cron(0 8 ? * 2#1 *)',
    'cron(0 0 L * ? *)',
    'cron(0 0 15W * ? *)',
  ])('accepts %s', (expression) => {
    expect(() => validateScheduleExpression(expression)).not.toThrow();
  });

  it.each([
    ['hourly', 'expected rate(…) or cron(…)'],
    ['rate(1 hours)', 'use "1 hour"'],
    ['rate(5 minute)', 'use "5 minutes"'],
    ['rate(0 minutes)', 'at least 1'],
    ['rate(2 weeks)', 'a rate is'],
    ['cron(0 * * *)', 'cron needs 6 fields'],
    ['cron(60 * * * ? *)', 'minutes value 60 is outside 0–59'],
    ['cron(0 * 32 * ? *)', 'day-of-month value 32 is outside 1–31'],
    ['cron(0 * ? 13 MON *)', 'month value 13 is outside 1–12'],
    ['cron(0 * ? * FUNDAY *)', 'day-of-week has "FUNDAY"'],
    ['cron(0 * * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 * ? * ? *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(0 10-5 * * ? *)', 'runs backwards'],
    ['cron(0/0 * * * ? *)', 'step "0" must be a positive integer'],
    ['cron(0 * * * ? 1969)', 'year value 1969 is outside 1970–2199'],
  ])('rejects %s', (expression, why) => {
    expect(() => validateScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(() => validateScheduleExpression(expression)).toThrow(why);
  });
});
