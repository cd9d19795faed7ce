import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createKafka } from './kafka';
import { createLogger } from '@phoenix/service';

describe('createKafka', () => {
  const logger = createLogger({ level: 'silent', name: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) });

  it('builds a plaintext client for the local broker', () => {
    expect(createKafka({ brokers: ['127.0.0.1:9092'], clientId: 'x', connectionTimeoutMs: 1000 }, logger)).toBeDefined();
  });

  it('reads the CA file for TLS and fails clearly when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phoenix-ca-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = {
      brokers: ['b:9096'],
      clientId: 'x',
      connectionTimeoutMs: 1000,
      ssl: { rejectUnauthorized: true, caFile },
      sasl: { mechanism: 'scram-sha-512' as const, username: 'u', password: 'p' },
    };
    expect(createKafka(config, logger)).toBeDefined();
    expect(() => createKafka({ ...config, ssl: { rejectUnauthorized: true, caFile: join(dir, 'missing.pem') } }, logger)).toThrow(/ENOENT/);
  });
});
