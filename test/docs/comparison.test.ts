import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  ComparisonDocError,
  DOC_EVENT_BYTES,
  DOC_RATES,
  DOC_RETENTION_DAYS,
  factCell,
  renderComparisonDoc,
  type ComparisonDocInputs,
} from '../../lib/core/cost/comparison-doc.js';
import { computeCosts } from '../../lib/core/cost/cost-model.js';
import { DIMENSIONS, type PriceData } from '../../lib/core/cost/price-data.js';
import { packageRoot } from '../../lib/package-paths.js';
import { comparisonInputs } from '../../scripts/generated-sources.js';

const root = packageRoot();
const doc = readFileSync(join(root, 'docs/comparison.md'), 'utf8');
const inputs: ComparisonDocInputs = comparisonInputs();
const data = inputs.data;

/** The text between the markers of one generated block. */
function block(text: string, name: string): string {
  const from = text.indexOf(`<!-- generated:${name} `);
  const to = text.indexOf(`<!-- /generated:${name} -->`);
  expect(from, `block ${name}`).toBeGreaterThanOrEqual(0);
  return text.slice(from, to);
}

describe('docs/comparison.md', () => {
  it('sets every load test beside the benchmarks: the rate it kept up with and the loss check', () => {
    const text = block(doc, 'loadtests');
    for (const transport of ['local', 'kafka', 'localstack']) {
      const { summary } = inputs.benchmarks.loadtests![transport] as {
        summary: { keptUpTo: number; accepted: number; lost: number; duplicates: number };
      };
      const row = text.split('\n').find((line) => line.startsWith(`| \`${transport}\``));
      expect(row, transport).toBeDefined();
      expect(row).toContain(`${summary.keptUpTo.toLocaleString('en-US')} /s`);
      expect(row).toContain(
        `${summary.accepted.toLocaleString('en-US')}: lost ${summary.lost}, twice ${summary.duplicates}`,
      );
    }
  });

  it('has a section and a table row for every dimension and every option', () => {
    for (const d of DIMENSIONS) {
      expect(doc).toContain(`### ${d.label}\n`);
      const facts = block(doc, `facts:${d.key}`);
      for (const o of data.comparison.options) expect(facts).toContain(`| \`${o.id}\``);
    }
  });

  it('shows every confirmed fact with its source and checked date', () => {
    for (const o of data.comparison.options) {
      for (const d of DIMENSIONS) {
        const fact = o.facts[d.key];
        expect(fact.source, `${o.id}.${d.key}`).toMatch(/^https?:\/\//);
        expect(fact.checked, `${o.id}.${d.key}`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        const row = block(doc, `facts:${d.key}`)
          .split('\n')
          .find((l) => l.startsWith(`| \`${o.id}\``));
        expect(row).toContain(factCell(fact));
        expect(row).toContain(`[source](${fact.source})`);
        expect(row).toContain(fact.checked);
      }
    }
  });

  it('says "not confirmed" with the note for a fact nobody confirmed, never an empty cell', () => {
    const nulls = data.comparison.options.flatMap((o) =>
      DIMENSIONS.filter((d) => o.facts[d.key].value === null).map((d) => ({ o, d, fact: o.facts[d.key] })),
    );
    for (const { o, d, fact } of nulls) {
      expect(factCell(fact)).toMatch(/^\*\*not confirmed\*\* — /);
      expect(factCell(fact)).toContain((fact.note ?? 'no note').replace(/\|/g, '\\|').split('\n')[0]?.trim());
      expect(block(doc, `facts:${d.key}`), `${o.id}.${d.key}`).toContain(factCell(fact));
    }
  });

  it('prices every option at each rate and names every price id it uses', () => {
    const costs = block(doc, 'costs');
    const prices = block(doc, 'prices');
    for (const rate of DOC_RATES) {
      expect(costs).toContain(`${rate.toLocaleString('en-US')}/s`);
      const report = computeCosts(
        { ratePerSecond: rate, eventBytes: DOC_EVENT_BYTES, retentionDays: DOC_RETENTION_DAYS },
        data,
      );
      for (const o of report.options) {
        expect(costs).toContain(`| \`${o.id}\``);
        // Operator time is an assumption (its rate is in the assumptions block), not a data-file price.
        for (const l of o.lines.filter((line) => line.kind !== 'operations'))
          expect(prices).toContain(`| \`${l.priceId}\``);
        for (const id of o.missingPriceIds) expect(costs).toContain(`\`${id}\``);
      }
    }
  });

  it('states the assumptions and the dates of the measurements', () => {
    expect(block(doc, 'assumptions')).toContain('730 h');
    expect(block(doc, 'assumptions')).toMatch(/operator/i);
    const measured = block(doc, 'measurements');
    const kafka = inputs.benchmarks.kafka as { machine: { date: string } };
    const embedded = inputs.benchmarks.embedded as { machine: { date: string } };
    expect(measured).toContain(kafka.machine.date.slice(0, 10));
    expect(measured).toContain(embedded.machine.date.slice(0, 10));
    expect(measured).toContain('ProducerPerformance');
    expect(measured).toContain('ConsumerPerformance');
  });

  it('is formatted as prettier formats it, so `prettier --check` passes on the generated file', async () => {
    const rendered = renderComparisonDoc(doc, inputs);
    expect(await format(rendered, { parser: 'markdown', printWidth: 110, proseWrap: 'preserve' })).toBe(
      rendered,
    );
  });
});

describe('renderComparisonDoc', () => {
  it('rewrites the generated blocks and keeps the hand-written text', () => {
    const edited = doc
      .replace('## Which to choose when\n', '## Which to choose when\n\nA sentence a person wrote.\n')
      .replace(block(doc, 'options'), '<!-- generated:options (stale) -->\n| stale |\n');
    const rendered = renderComparisonDoc(edited, inputs);
    expect(rendered).toContain('A sentence a person wrote.');
    expect(rendered).not.toContain('| stale |');
    expect(block(rendered, 'options')).toBe(block(renderComparisonDoc(doc, inputs), 'options'));
  });

  it('fails naming the block when its markers are gone', () => {
    const broken = doc.replace('<!-- /generated:costs -->', '');
    expect(() => renderComparisonDoc(broken, inputs)).toThrow(ComparisonDocError);
    expect(() => renderComparisonDoc(broken, inputs)).toThrow(/generated block "costs"/);
  });

  it('follows a price that appears in the data files later: no lower bound, no missing id', () => {
    const filled: PriceData = {
      ...data,
      comparison: {
        ...data.comparison,
        prices: data.comparison.prices.map((p) => (p.id === 'sns-delivery-sqs' ? { ...p, usd: 0 } : p)),
      },
    };
    const before = block(renderComparisonDoc(doc, { ...inputs, data }), 'costs');
    const after = block(renderComparisonDoc(doc, { ...inputs, data: filled }), 'costs');
    const snsRow = (text: string): string => text.split('\n').find((l) => l.startsWith('| `sns-sqs`')) ?? '';
    if (data.comparison.prices.find((p) => p.id === 'sns-delivery-sqs')?.usd === null) {
      expect(snsRow(before)).toContain('≥');
      expect(before).toContain('`sns-delivery-sqs`');
    }
    expect(snsRow(after)).not.toContain('≥');
    expect(after).not.toContain('`sns-delivery-sqs`');
  });
});
