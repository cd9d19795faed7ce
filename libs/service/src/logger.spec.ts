import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('writes JSON lines and censors personal data fields wherever they appear', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ level: 'info', name: 'test-service', destination });
    logger.info(
      {
        tenantId: 'acme',
        eventId: 'e1',
        data: { email: 'ann@b.example', displayName: 'Ann Example' },
        visit: { visitorName: 'Bo Visitor' },
      },
      'event applied',
    );
    const entry = JSON.parse(lines.join(''));
    expect(entry).toMatchObject({ service: 'test-service', tenantId: 'acme', eventId: 'e1', msg: 'event applied' });
    const text = lines.join('');
    for (const secret of ['ann@b.example', 'Ann Example', 'Bo Visitor']) expect(text).not.toContain(secret);
  });
});
