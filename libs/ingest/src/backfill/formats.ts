import { extname } from 'node:path';
import type { ProblemCode } from '@phoenix/domain';
import type { Line } from './lines';

export const IMPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * Reasons an import can reject a record: the domain's validation codes, plus one for
 * CSV rows whose structure is broken before there is an event to validate.
 */
export type RejectCode = ProblemCode | 'MALFORMED_CSV';

export interface RecordProblem {
  readonly code: RejectCode;
  readonly path: string;
  /** What is wrong; never the offending value (it may be personal data). */
  readonly message: string;
}

/** What one line of the file holds: nothing to import, a message body to validate, or a broken record. */
export type ParsedRecord =
  | { readonly kind: 'skip' }
  | { readonly kind: 'value'; readonly value: Buffer | string }
  | { readonly kind: 'invalid'; readonly problems: readonly RecordProblem[] };

/** Turns lines into records. `maxLineBytes` bounds what the line reader buffers for it. */
export interface RecordParser {
  readonly maxLineBytes: number;
  parse(line: Line): ParsedRecord;
}

/** A fatal, operator-fixable problem with the input or the options; the message says what to do. */
export class ImportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportError';
  }
}

/** `.csv` files are CSV; anything else (`.ndjson`, `.jsonl`, `.json` …) is NDJSON unless `--format` says otherwise. */
export function detectFormat(file: string): ImportFormat {
  return extname(file).toLowerCase() === '.csv' ? 'csv' : 'ndjson';
}

function tooLarge(line: Line, maxBytes: number): ParsedRecord {
  return {
    kind: 'invalid',
    problems: [
      {
        code: 'PAYLOAD_TOO_LARGE',
        path: '',
        message: `line is ${line.length} bytes; the limit is ${maxBytes}. Split the event or raise --max-bytes (and INGEST_MAX_EVENT_BYTES).`,
      },
    ],
  };
}

const isBlank = (bytes: Buffer) => bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);

/**
 * NDJSON: one CloudEvents JSON envelope per line, blank lines ignored. The line's
 * bytes are published unchanged, so validation (which rejects invalid UTF-8) sees
 * exactly what the ingest will see.
 */
export function ndjsonParser(maxBytes: number): RecordParser {
  return {
    maxLineBytes: maxBytes,
    parse(line) {
      if (!line.bytes) return tooLarge(line, maxBytes);
      if (isBlank(line.bytes)) return { kind: 'skip' };
      return { kind: 'value', value: line.bytes };
    },
  };
}

/** The CSV columns: all required in the header except `seq` and `subject`; any order. */
export const CSV_COLUMNS = ['id', 'source', 'type', 'time', 'tenantid', 'entityid', 'seq', 'data'] as const;
const OPTIONAL_CSV_COLUMNS = new Set(['seq', 'subject']);
const KNOWN_CSV_COLUMNS = new Set<string>([...CSV_COLUMNS, 'subject']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits one CSV line into fields (RFC 4180: comma-separated, fields may be quoted
 * with `"`, a quote inside a quoted field is doubled). A record is one line: JSON never
 * needs a raw line break, so a quoted field spanning lines is reported as an
 * unterminated quote instead of silently swallowing the lines after it.
 */
export function parseCsvFields(text: string): string[] | { error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) return { error: 'a quoted field is not closed; quote fields with " and double any " inside them' };
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') return { error: `unexpected text after a closing quote in field ${fields.length}` };
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** One CSV row from values, quoting where needed (for tests, fixtures and exports). */
export function formatCsvRow(values: readonly (string | number | null | undefined)[]): string {
  return values
    .map((v) => {
      const text = v === null || v === undefined ? '' : String(v);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',');
}

/**
 * CSV: a header row naming the columns (see CSV_COLUMNS), then one event per line.
 * Each row becomes the CloudEvents envelope `{ specversion: "1.0", id, source, type,
 * time, subject?, datacontenttype, tenantid, entityid, seq?, data }`; an empty cell
 * leaves the attribute out, so validation names it. `header` is line 1's bytes.
 */
export function csvParser(header: Buffer | undefined, maxBytes: number): RecordParser {
  if (header === undefined) throw new ImportError('the CSV header row is too long; line 1 must be the column names');
  let headerText: string;
  try {
    headerText = utf8.decode(header);
  } catch {
    throw new ImportError('the CSV header row is not valid UTF-8; re-export the file as UTF-8');
  }
  const parsed = parseCsvFields(headerText);
  if ('error' in parsed) throw new ImportError(`the CSV header row is malformed: ${parsed.error}`);
  const columns = parsed.map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => !KNOWN_CSV_COLUMNS.has(c));
  const missing = CSV_COLUMNS.filter((c) => !OPTIONAL_CSV_COLUMNS.has(c) && !columns.includes(c));
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (unknown.length > 0 || missing.length > 0 || repeated.length > 0) {
    const what = [
      unknown.length ? `unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(', ')}` : '',
      missing.length ? `missing column(s) ${missing.join(', ')}` : '',
      repeated.length ? `repeated column(s) ${[...new Set(repeated)].join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    throw new ImportError(`the CSV header row has ${what}; expected ${CSV_COLUMNS.join(',')} (seq and subject optional), any order`);
  }

  // Escaping doubles every quote of the JSON in `data`, so a row may be up to about
  // twice the size of its envelope; validation applies the exact limit to the envelope.
  const maxLineBytes = maxBytes * 2 + 64 * 1024;
  return {
    maxLineBytes,
    parse(line) {
      if (line.number === 1) return { kind: 'skip' };
      if (!line.bytes) return tooLarge(line, maxBytes);
      if (isBlank(line.bytes)) return { kind: 'skip' };
      let text: string;
      try {
        text = utf8.decode(line.bytes);
      } catch {
        return invalidCsv('the row is not valid UTF-8; re-export the file as UTF-8');
      }
      const fields = parseCsvFields(text);
      if ('error' in fields) return invalidCsv(fields.error);
      if (fields.length !== columns.length) {
        return invalidCsv(`the row has ${fields.length} field(s); the header has ${columns.length}`);
      }
      const cells = new Map(columns.map((c, i) => [c, fields[i] as string]));
      return csvRecord(cells);
    },
  };
}

function invalidCsv(message: string): ParsedRecord {
  return { kind: 'invalid', problems: [{ code: 'MALFORMED_CSV', path: '', message }] };
}

function csvRecord(cells: ReadonlyMap<string, string>): ParsedRecord {
  const cell = (name: string) => {
    const value = cells.get(name);
    return value === undefined || value === '' ? undefined : value;
  };
  let data: unknown;
  const dataText = cell('data');
  if (dataText !== undefined) {
    try {
      data = JSON.parse(dataText);
    } catch {
      // No parser detail: V8's message quotes the offending text, which may be personal data.
      return { kind: 'invalid', problems: [{ code: 'MALFORMED_JSON', path: '/data', message: 'the data column is not a JSON object' }] };
    }
  }
  const seqText = cell('seq');
  // A non-numeric seq is kept as text so that validation reports it as INVALID_FIELD /seq.
  const seq = seqText === undefined ? undefined : /^\d+$/.test(seqText) ? Number(seqText) : seqText;
  const envelope = {
    specversion: '1.0',
    id: cell('id'),
    source: cell('source'),
    type: cell('type'),
    time: cell('time'),
    subject: cell('subject'),
    datacontenttype: 'application/json',
    tenantid: cell('tenantid'),
    entityid: cell('entityid'),
    seq,
    data,
  };
  // JSON.stringify leaves out the undefined attributes.
  return { kind: 'value', value: JSON.stringify(envelope) };
}
