import { validateEvent, type CloudEventEnvelope } from '@phoenix/domain';
import { generateEventList } from '@phoenix/fixtures';
import {
  CSV_COLUMNS,
  csvParser,
  detectFormat,
  formatCsvRow,
  ImportError,
  ndjsonParser,
  parseCsvFields,
  type ParsedRecord,
} from './formats';
import type { Line } from './lines';

const line = (number: number, text: string | undefined, length = text?.length ?? 0): Line =>
  text === undefined ? { number, length, end: 0 } : { number, bytes: Buffer.from(text), length, end: 0 };

const header = Buffer.from(CSV_COLUMNS.join(','));

function csvRowOf(event: CloudEventEnvelope): string {
  return formatCsvRow([
    event.id,
    event.source,
    event.type,
    event.time,
    event.tenantid,
    event.entityid,
    event.seq,
    JSON.stringify(event.data),
  ]);
}

function valueOf(record: ParsedRecord): string {
  if (record.kind !== 'value') throw new Error(`expected a value, got ${JSON.stringify(record)}`);
  return String(record.value);
}

describe('detectFormat', () => {
  it('reads .csv as CSV and everything else as NDJSON', () => {
    expect(detectFormat('/x/export.CSV')).toBe('csv');
    expect(detectFormat('/x/export.ndjson')).toBe('ndjson');
    expect(detectFormat('/x/export.jsonl')).toBe('ndjson');
    expect(detectFormat('/x/export')).toBe('ndjson');
  });
});

describe('parseCsvFields', () => {
  it('splits plain, empty and quoted fields, with doubled quotes inside quotes', () => {
    expect(parseCsvFields('a,,"b,c","say ""hi""",')).toEqual(['a', '', 'b,c', 'say "hi"', '']);
    expect(parseCsvFields('')).toEqual(['']);
    expect(parseCsvFields('""')).toEqual(['']);
  });

  it('reports an unterminated quote and text after a closing quote', () => {
    expect(parseCsvFields('a,"b')).toEqual({ error: expect.stringMatching(/not closed/) });
    expect(parseCsvFields('"a"b,c')).toEqual({ error: expect.stringMatching(/after a closing quote in field 1/) });
  });

  it('reads back what formatCsvRow writes', () => {
    const values = ['plain', 'with,comma', 'with "quotes"', '{"a":[1,2],"b":"x,y"}', ''];
    expect(parseCsvFields(formatCsvRow(values))).toEqual(values);
  });
});

describe('ndjsonParser', () => {
  const parser = ndjsonParser(100);

  it('passes a line through as bytes and skips blank lines', () => {
    expect(parser.parse(line(1, '{"a":1}'))).toEqual({ kind: 'value', value: Buffer.from('{"a":1}') });
    expect(parser.parse(line(2, ''))).toEqual({ kind: 'skip' });
    expect(parser.parse(line(3, ' \t '))).toEqual({ kind: 'skip' });
  });

  it('rejects a line the reader could not keep as PAYLOAD_TOO_LARGE, naming the flag to raise', () => {
    const record = parser.parse(line(4, undefined, 5000));
    expect(record).toEqual({ kind: 'invalid', problems: [expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' })] });
    expect(JSON.stringify(record)).toMatch(/5000 bytes; the limit is 100.*--max-bytes/);
  });
});

describe('csvParser', () => {
  const [first, second] = generateEventList({ seed: 3, tenants: 1, days: 1 })
    .filter((m) => m.kind === 'event')
    .map((m) => m.event as CloudEventEnvelope);

  it('turns a row into the CloudEvents envelope that validates as the original event', () => {
    const parser = csvParser(header, 1024 * 1024);
    const value = valueOf(parser.parse(line(2, csvRowOf(first as CloudEventEnvelope))));
    const result = validateEvent(value);
    expect(result.ok).toBe(true);
    const envelope = JSON.parse(value) as Record<string, unknown>;
    const { subject: _subject, ...original } = first as CloudEventEnvelope;
    expect(envelope).toEqual(original);
  });

  it('accepts the columns in any order, case and surrounding spaces, with subject as an extra', () => {
    const event = second as CloudEventEnvelope;
    const parser = csvParser(Buffer.from(' DATA ,seq,entityid,tenantid,time,type,source,id,subject'), 1024 * 1024);
    const row = formatCsvRow([
      JSON.stringify(event.data),
      event.seq,
      event.entityid,
      event.tenantid,
      event.time,
      event.type,
      event.source,
      event.id,
      event.subject,
    ]);
    expect(JSON.parse(valueOf(parser.parse(line(2, row))))).toEqual(event);
  });

  it('skips the header line and blank lines', () => {
    const parser = csvParser(header, 1000);
    expect(parser.parse(line(1, CSV_COLUMNS.join(',')))).toEqual({ kind: 'skip' });
    expect(parser.parse(line(7, ''))).toEqual({ kind: 'skip' });
  });

  it('refuses a header with unknown, missing or repeated columns, naming them and the expected ones', () => {
    expect(() => csvParser(Buffer.from('id,source,type,time,tenant,entityid,data'), 1000)).toThrow(ImportError);
    expect(() => csvParser(Buffer.from('id,source,type,time,tenant,entityid,data'), 1000)).toThrow(
      /unknown column\(s\) "tenant"; missing column\(s\) tenantid; expected id,source,type,time,tenantid,entityid,seq,data/,
    );
    expect(() => csvParser(Buffer.from('id,id,source,type,time,tenantid,entityid,data'), 1000)).toThrow(/repeated column\(s\) id/);
    expect(() => csvParser(undefined, 1000)).toThrow(/header row is too long/);
  });

  it('leaves empty cells out so that validation names the missing attribute', () => {
    const parser = csvParser(header, 1000);
    const value = valueOf(parser.parse(line(2, 'e1,/huddle,phoenix.team.created,2026-01-05T09:00:00Z,,team_1,,"{""id"":""team_1""}"')));
    expect(JSON.parse(value)).not.toHaveProperty('tenantid');
    expect(JSON.parse(value)).not.toHaveProperty('seq');
    const result = validateEvent(value);
    expect(!result.ok && result.problems.map((p) => p.code)).toContain('MISSING_TENANT');
  });

  it('keeps a non-numeric seq as text so that validation reports /seq', () => {
    const parser = csvParser(header, 1000);
    const value = valueOf(
      parser.parse(line(2, 'e1,/huddle,phoenix.team.created,2026-01-05T09:00:00Z,acme,team_1,two,"{""id"":""team_1""}"')),
    );
    const result = validateEvent(value);
    expect(!result.ok && result.problems.map((p) => `${p.code} ${p.path}`)).toContain('INVALID_FIELD /seq');
  });

  it('rejects a data cell that is not JSON without quoting it back', () => {
    const parser = csvParser(header, 1000);
    const record = parser.parse(line(2, 'e1,/huddle,phoenix.member.created,2026-01-05T09:00:00Z,acme,mbr_1,1,{secret@example.com'));
    expect(record).toEqual({
      kind: 'invalid',
      problems: [{ code: 'MALFORMED_JSON', path: '/data', message: 'the data column is not a JSON object' }],
    });
    expect(JSON.stringify(record)).not.toContain('secret');
  });

  it('rejects rows with the wrong number of fields, a broken quote or invalid UTF-8 as MALFORMED_CSV', () => {
    const parser = csvParser(header, 1000);
    const code = (r: ParsedRecord) => (r.kind === 'invalid' ? r.problems.map((p) => p.code) : r.kind);
    expect(code(parser.parse(line(2, 'a,b,c')))).toEqual(['MALFORMED_CSV']);
    expect(code(parser.parse(line(3, 'a,b,c,d,e,f,g,"{')))).toEqual(['MALFORMED_CSV']);
    expect(code(parser.parse({ number: 4, bytes: Buffer.from([0x61, 0xff, 0x2c]), length: 3, end: 0 }))).toEqual(['MALFORMED_CSV']);
  });

  it('lets a row be up to about twice the event limit, since escaping doubles the quotes of the JSON', () => {
    expect(csvParser(header, 1000).maxLineBytes).toBeGreaterThanOrEqual(2000);
  });
});
