/**
 * A CSV file as a response, for the API and the pages alike: UTF-8 with a byte order mark (so
 * that Excel reads it as UTF-8), CRLF line ends, and every cell starting with =, +, -, @, a tab
 * or a carriage return prefixed with ' so that no spreadsheet runs it as a formula
 * (csv-stringify's escape_formulas). Streamed: the records are pulled as the client reads.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';

/** The CSV writer every export uses. */
export function csvWriter() {
  return stringify({ bom: true, escape_formulas: true, record_delimiter: 'windows' });
}

/**
 * Streams the records as a CSV attachment. The first record is read before anything is sent,
 * so a refusal (403, a bad period) is still an ordinary error response; after that, a failure
 * ends the response early, and the file is visibly cut short.
 */
export async function sendCsv(res: Response, filename: string, records: AsyncGenerator<(string | number)[]>): Promise<void> {
  const first = await records.next();
  res.status(200).type('text/csv; charset=utf-8').attachment(filename);
  async function* all() {
    if (!first.done) yield first.value;
    yield* records;
  }
  await pipeline(Readable.from(all()), csvWriter(), res);
}
