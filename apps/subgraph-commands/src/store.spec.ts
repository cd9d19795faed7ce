import { validateEvent } from '@phoenix/domain';
import { fingerprint, keyedId } from './store';

describe('idempotency keys', () => {
  it('map one tenant, consumer and key to one id, and any other combination to another', () => {
    const id = keyedId('cmd-', 'acme', 'app-1', 'k1');
    expect(keyedId('cmd-', 'acme', 'app-1', 'k1')).toBe(id);
    expect(
      new Set([
        id,
        keyedId('cmd-', 'globex', 'app-1', 'k1'),
        keyedId('cmd-', 'acme', 'app-2', 'k1'),
        keyedId('cmd-', 'acme', 'app-1', 'k2'),
      ]).size,
    ).toBe(4);
    // A valid event and entity id (printable ASCII, starts with a letter or digit).
    expect(id).toMatch(/^cmd-[A-Za-z0-9]{32}$/);
    expect(
      validateEvent({
        specversion: '1.0',
        id,
        source: '/s',
        type: 'phoenix.team.created',
        time: '2026-01-01T00:00:00Z',
        tenantid: 'acme',
        entityid: id,
        data: { id, name: 'x' },
      }).ok,
    ).toBe(true);
  });

  it('fingerprints a request regardless of key order, and tells different requests apart', () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
  });
});
