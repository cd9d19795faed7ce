import { GraphQLError } from 'graphql';
import { badUserInput, formatError, INTERNAL_MESSAGE } from './errors';

describe('formatError', () => {
  it('passes caller errors through without a stack trace', () => {
    const error = badUserInput('first', 'must be between 1 and 100');
    const formatted = formatError({ message: error.message, extensions: { ...error.extensions, stacktrace: ['at x'] } }, error);
    expect(formatted).toEqual({ message: 'first: must be between 1 and 100', extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
  });

  it('masks everything else: no message, SQL or stack reaches the client', () => {
    const cause = new Error('Syntax error at SELECT * FROM `phoenix-local.phoenix.desk_current`');
    const error = new GraphQLError(cause.message, { originalError: cause, path: ['desk'] });
    const formatted = formatError(
      { message: error.message, path: ['desk'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] } },
      error,
    );
    expect(formatted).toEqual({ message: INTERNAL_MESSAGE, path: ['desk'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('masks a plain Error even if it claims a public code', () => {
    const cause = Object.assign(new Error('secret detail'), { extensions: { code: 'BAD_USER_INPUT' } });
    const formatted = formatError({ message: 'secret detail', extensions: { code: 'BAD_USER_INPUT' } }, cause);
    expect(formatted.message).toBe(INTERNAL_MESSAGE);
  });
});
