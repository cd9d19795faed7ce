import { apiKeyId, apiKeyMatches, ConsumersFileSchema, generateApiKey, hashApiKey } from './consumers';

const consumer = (id: string, keyIds: string[] = []) => ({
  id,
  name: id,
  tenantId: 'acme',
  scopes: ['bookings:read'],
  keys: keyIds.map((k) => ({ id: k, sha256: 'a'.repeat(64), createdAt: '2026-01-01T00:00:00Z' })),
  limits: { perMinute: 60, perDay: 1000, spikeArrest: { perSecond: 5, burst: 10 } },
});

describe('API keys', () => {
  it('generates phx_<id>_<secret> keys whose hash alone is stored', () => {
    const { key, stored } = generateApiKey(new Date('2026-11-25T00:00:00Z'));
    expect(key).toMatch(/^phx_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyId(key)).toBe(stored.id);
    expect(stored.sha256).toBe(hashApiKey(key));
    expect(JSON.stringify(stored)).not.toContain(key.split('_')[2]);
    expect(apiKeyMatches(key, stored.sha256)).toBe(true);
    expect(apiKeyMatches(`${key.slice(0, -1)}x`, stored.sha256)).toBe(false);
  });

  it('rejects malformed keys', () => {
    for (const bad of ['', 'phx_', 'phx_abc_short', 'xyz_abcdef_' + 'a'.repeat(43), `phx_a_${'a'.repeat(43)}`])
      expect(apiKeyId(bad)).toBeNull();
  });
});

describe('the consumers file', () => {
  it('accepts a valid file and refuses duplicates and unknown scopes with paths', () => {
    expect(ConsumersFileSchema.safeParse({ consumers: [consumer('a', ['k001']), consumer('b', ['k002'])] }).success).toBe(true);
    const dup = ConsumersFileSchema.safeParse({ consumers: [consumer('a', ['k001']), consumer('a', ['k001'])] });
    expect(dup.success).toBe(false);
    expect(dup.error?.issues.map((i) => i.message)).toEqual(['duplicate consumer id a', 'duplicate key id k001']);
    const scope = ConsumersFileSchema.safeParse({ consumers: [{ ...consumer('a'), scopes: ['root'] }] });
    expect(scope.error?.issues[0]?.path).toEqual(['consumers', 0, 'scopes', 0]);
  });
});
