import { traceparentOf } from './writer';

describe('traceparentOf', () => {
  it('makes a UUID request id the trace id, and nothing of other ids', () => {
    expect(traceparentOf('0b7c3a4e-8d1f-4a2b-9c3d-5e6f7a8b9c0d')).toMatch(/^00-0b7c3a4e8d1f4a2b9c3d5e6f7a8b9c0d-[0-9a-f]{16}-01$/);
    expect(traceparentOf('req-1')).toBeNull();
    expect(traceparentOf('00000000-0000-0000-0000-000000000000')).toBeNull();
  });
});
