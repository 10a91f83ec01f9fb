import { EltError } from '../../core/util/errors.js';
/**
 * The Data API's limits on what a statement may return, with the errors the service reports
 * (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html, whose headings are the
 * error messages): a row over 64 KB fails the statement with "Packet for query is too large", a result set
 * over the limit with "Database response exceeded size limit".
 */

/** "The Data API size limit is 64 KB per row in the result set returned by the database." */
export const MAX_ROW_BYTES = 64 * 1024;

/**
 * The result-set limit: 100 MB. The English troubleshooting page now says 500 MB; its translations, and
 * older copies of the Data API considerations in data-api.html ("100 MB (after gzip compression)"), say
 * 100 MB. A stand-in refuses at the smaller figure so that what passes here passes under either, and it
 * measures before any compression, which is stricter still. MB as 10^6 bytes, the smaller reading too.
 */
export const DEFAULT_MAX_RESULT_BYTES = 100 * 1_000_000;

/** A result the Data API would not return: the statement fails with this message. */
export class ResultLimitError extends EltError {
  constructor(message: string) {
    super(message);
  }
}

const bytes = (n: number): string => n.toLocaleString('en-US');

/**
 * Checks a result as PostgreSQL returned it (every value as its text, NULL as null) and returns its size.
 * A row's size is the UTF-8 bytes of the text of its values — what the service returns for each field,
 * without the JSON around them — so a row just under the limit is accepted, as on the service.
 */
export function checkResultSize(
  rows: readonly (readonly (string | null)[])[],
  maxResultBytes: number,
): number {
  let total = 0;
  rows.forEach((row, i) => {
    let size = 0;
    for (const v of row) if (v !== null) size += Buffer.byteLength(v);
    if (size > MAX_ROW_BYTES) {
      throw new ResultLimitError(
        `Packet for query is too large: row ${i + 1} of the result is ${bytes(size)} bytes, over the Data API's limit of ${bytes(MAX_ROW_BYTES)} bytes per row`,
      );
    }
    total += size;
    if (total > maxResultBytes) {
      throw new ResultLimitError(
        `Database response exceeded size limit: the result set passes ${bytes(maxResultBytes)} bytes at row ${i + 1}`,
      );
    }
  });
  return total;
}
