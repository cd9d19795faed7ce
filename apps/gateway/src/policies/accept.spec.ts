import { HttpGraphQLError } from '@phoenix/service';
import { checkAccept } from './accept';

const refused = (accept: string | undefined) => {
  try {
    checkAccept(accept);
    return null;
  } catch (err) {
    return err instanceof HttpGraphQLError ? [err.status, err.code] : err;
  }
};

describe('Accept before execution', () => {
  it('accepts no header, JSON, GraphQL responses, wildcards, and lists holding one of them', () => {
    for (const ok of [
      undefined,
      '',
      '*/*',
      'application/json',
      'application/graphql-response+json, application/json;q=0.9',
      'text/html, */*;q=0.1',
      'application/*',
    ]) {
      expect([ok, refused(ok)]).toEqual([ok, null]);
    }
  });

  it('refuses with 406 what allows none of them, also q=0', () => {
    for (const bad of ['text/html', 'multipart/mixed; deferSpec=20220824', 'application/json;q=0', 'image/png, text/plain']) {
      expect([bad, refused(bad)]).toEqual([bad, [406, 'BAD_REQUEST']]);
    }
  });
});
