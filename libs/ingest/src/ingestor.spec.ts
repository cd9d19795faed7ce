import { laneReadiness } from './ingestor';

describe('lane readiness', () => {
  const base = { connected: true, joined: true, rebalancingSince: null, failingSince: null };

  it('stays ready through a rebalance within the grace, and not beyond it', () => {
    const rebalancing = { ...base, joined: false, rebalancingSince: 1_000 };
    expect(laneReadiness(rebalancing, 1_000 + 44_999, 45_000)).toMatchObject({ ready: true, rebalancingForMs: 44_999 });
    expect(laneReadiness(rebalancing, 1_000 + 45_000, 45_000).ready).toBe(false);
  });

  it('is not ready before the first join, when disconnected, or with the warehouse failing for a minute', () => {
    expect(laneReadiness({ ...base, joined: false }, 0, 45_000).ready).toBe(false);
    expect(laneReadiness({ ...base, connected: false, joined: false, rebalancingSince: 0 }, 1, 45_000).ready).toBe(false);
    expect(laneReadiness({ ...base, failingSince: 0 }, 59_999, 45_000).ready).toBe(true);
    expect(laneReadiness({ ...base, failingSince: 0 }, 60_000, 45_000).ready).toBe(false);
  });
});
