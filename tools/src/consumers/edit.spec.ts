import { addConsumer, ConsumersCliError, DEFAULT_LIMITS, issueKey, removeConsumer, updateConsumer } from './edit';

const base = () => {
  const file = addConsumer(
    { consumers: [] },
    { id: 'portal', name: 'Portal', tenantId: 'acme', scopes: ['bookings:read'], limits: DEFAULT_LIMITS },
  );
  const other = addConsumer(file, { id: 'ops', name: 'Ops', tenantId: 'acme', scopes: [], limits: DEFAULT_LIMITS });
  return issueKey(other, 'portal').file;
};

describe('changing and removing consumers', () => {
  it('changes only what is given, keeping keys, tenant and the other limits', () => {
    const before = base();
    const after = updateConsumer(before, 'portal', {
      scopes: ['bookings:read', 'audit:read'],
      limits: { perMinute: 5, spikeArrest: { burst: 3 } },
    });
    const portal = after.consumers.find((c) => c.id === 'portal');
    expect(portal).toEqual({
      ...before.consumers[0],
      scopes: ['bookings:read', 'audit:read'],
      limits: { perMinute: 5, perDay: DEFAULT_LIMITS.perDay, spikeArrest: { perSecond: DEFAULT_LIMITS.spikeArrest.perSecond, burst: 3 } },
    });
    expect(after.consumers[1]).toEqual(before.consumers[1]);
    expect(updateConsumer(before, 'portal', { name: 'Portal 2' }).consumers[0]?.name).toBe('Portal 2');
  });

  it('removes a consumer with its keys and leaves the others', () => {
    const { file, keys } = removeConsumer(base(), 'portal');
    expect(keys).toBe(1);
    expect(file.consumers.map((c) => c.id)).toEqual(['ops']);
  });

  it('refuses an unknown consumer', () => {
    expect(() => updateConsumer(base(), 'nobody', {})).toThrow(new ConsumersCliError('no consumer nobody'));
    expect(() => removeConsumer(base(), 'nobody')).toThrow(ConsumersCliError);
  });
});
