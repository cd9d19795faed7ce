import { z } from 'zod';
import { ConfigError, envBoolean, envList, parseConfig } from './config';

describe('parseConfig', () => {
  const schema = {
    http: z.object({ PORT: z.coerce.number().int().min(1).max(65535).default(4000), DEBUG: envBoolean(false) }),
    kafka: z.object({ BROKERS: envList().pipe(z.array(z.string()).min(1, 'list at least one broker')) }),
    auth: z.object({ SECRET: z.string().min(32, 'must be at least 32 characters') }),
  };

  it('returns the typed configuration with defaults applied', () => {
    const secret = 's'.repeat(32);
    expect(parseConfig(schema, { BROKERS: 'a:1, b:2,', SECRET: secret, DEBUG: 'YES' })).toEqual({
      http: { PORT: 4000, DEBUG: true },
      kafka: { BROKERS: ['a:1', 'b:2'] },
      auth: { SECRET: secret },
    });
  });

  it('reports every invalid variable of every concern at once, by name, without echoing values', () => {
    let error: unknown;
    try {
      parseConfig(schema, { PORT: '99999', DEBUG: 'maybe', BROKERS: ' , ', SECRET: 'hunter2' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'DEBUG', 'BROKERS', 'SECRET']);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
