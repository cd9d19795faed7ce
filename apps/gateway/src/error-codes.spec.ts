import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_ERROR_CODES, GATEWAY_PUBLIC_CODES } from './error-codes';
import { LIMIT_CODES } from './policies/limits';

/** The rows of the table under "**From the gateway**" in docs/api.md: code → [status, retry]. */
function documentedCodes(): Map<string, [number, string]> {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'api.md'), 'utf8');
  const start = text.indexOf('**From the gateway**');
  expect(start).toBeGreaterThan(0);
  const rows = new Map<string, [number, string]>();
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (rows.size > 0 && !line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    const match = /^`([A-Z_]+)`$/.exec(cells[2] ?? '');
    if (match) rows.set(match[1] as string, [Number(cells[1]), cells[3] as string]);
  }
  return rows;
}

describe('the gateway error codes', () => {
  it('are documented in docs/api.md with the same HTTP status and retry advice, no more and no fewer', () => {
    const documented = documentedCodes();
    const table = new Map(Object.entries(GATEWAY_ERROR_CODES).map(([code, spec]) => [code, [spec.status, spec.retry]]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(table));
  });

  it('include every threat-protection code, and all but INTERNAL_SERVER_ERROR pass the error formatter unmasked', () => {
    for (const code of LIMIT_CODES) expect(GATEWAY_PUBLIC_CODES.has(code)).toBe(true);
    expect(GATEWAY_PUBLIC_CODES.has('INTERNAL_SERVER_ERROR')).toBe(false);
    expect(GATEWAY_PUBLIC_CODES.size).toBe(Object.keys(GATEWAY_ERROR_CODES).length - 1);
  });
});
