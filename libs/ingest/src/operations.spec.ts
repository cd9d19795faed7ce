import type { ServerResponse } from 'node:http';
import { lanesReadiness, reconciliationRoute, type LaneHealth } from './operations';

const lane = (ready: boolean): LaneHealth => ({
  readiness: () => ({ ready, assignedPartitions: 1 }),
  reconciliation: () => ({ 'events/0': { balanced: ready } }),
});

describe('the ingest operational endpoints', () => {
  it('is ready only when every lane is, with the detail per lane', async () => {
    expect(await lanesReadiness({ live: lane(true), backfill: lane(true) })()).toEqual({
      ready: true,
      lanes: { live: { ready: true, assignedPartitions: 1 }, backfill: { ready: true, assignedPartitions: 1 } },
    });
    expect((await lanesReadiness({ live: lane(true), backfill: lane(false) })()).ready).toBe(false);
  });

  it('reads the lanes when asked, so lanes added after the service was created count', async () => {
    const lanes: Record<string, LaneHealth> = {};
    const readiness = lanesReadiness(lanes);
    lanes['live'] = lane(false);
    expect((await readiness()).ready).toBe(false);
  });

  it('answers /reconciliation with each lane’s accounting', async () => {
    let body = '';
    const res = { writeHead: () => res, end: (text: string) => void (body = text) } as unknown as ServerResponse;
    await reconciliationRoute({ live: lane(true) })({} as never, res);
    expect(JSON.parse(body)).toEqual({ live: { 'events/0': { balanced: true } } });
  });
});
