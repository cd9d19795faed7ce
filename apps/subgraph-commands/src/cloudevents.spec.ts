import { BindingError, parseBinding, preferredWaitMs, statusOf } from './cloudevents';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof BindingError ? `${err.status} ${err.code}` : String(err);
  }
  return 'ok';
};

describe('the CloudEvents HTTP binding', () => {
  const event = { specversion: '1.0', id: 'e1', type: 'phoenix.team.created', data: { id: 't1' } };

  it('reads structured mode (one envelope) and batch mode (an array) by content type', () => {
    expect(parseBinding({ 'content-type': 'application/cloudevents+json; charset=utf-8' }, JSON.stringify(event))).toEqual({
      mode: 'structured',
      events: [event],
    });
    expect(parseBinding({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([event, event]))).toEqual({
      mode: 'batch',
      events: [event, event],
    });
    expect(codeOf(() => parseBinding({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(event)))).toBe(
      '400 BAD_REQUEST',
    );
    expect(codeOf(() => parseBinding({ 'content-type': 'application/cloudevents+json' }, '{'))).toBe('400 BAD_REQUEST');
  });

  it('reads binary mode from ce-* headers (percent-decoded, seq as a number) and the JSON body as data', () => {
    const parsed = parseBinding(
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'e2',
        'ce-source': '/hr%20system',
        'ce-seq': '42',
        'x-other': 'ignored',
      },
      '{"id":"t1","name":"A"}',
    );
    expect(parsed).toEqual({
      mode: 'binary',
      events: [
        { datacontenttype: 'application/json', specversion: '1.0', id: 'e2', source: '/hr system', seq: 42, data: { id: 't1', name: 'A' } },
      ],
    });
    expect(codeOf(() => parseBinding({ 'content-type': 'text/plain', 'ce-specversion': '1.0' }, 'x'))).toBe('415 UNSUPPORTED_MEDIA_TYPE');
    expect(codeOf(() => parseBinding({ 'content-type': 'application/json' }, '{}'))).toBe('415 UNSUPPORTED_MEDIA_TYPE');
  });

  it('reads Prefer: wait=N in seconds', () => {
    expect(preferredWaitMs('wait=5')).toBe(5000);
    expect(preferredWaitMs('respond-async, wait=10')).toBe(10_000);
    expect(preferredWaitMs('return=minimal')).toBe(0);
    expect(preferredWaitMs(undefined)).toBe(0);
  });

  it('answers 202 when all were accepted, 207 when some were refused, 400 when none was accepted', () => {
    expect(statusOf({ accepted: 2, refused: 0, results: [] })).toBe(202);
    expect(statusOf({ accepted: 1, refused: 1, results: [] })).toBe(207);
    expect(statusOf({ accepted: 0, refused: 2, results: [] })).toBe(400);
  });
});
