import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isRealDate, isRealTimestamp } from '@phoenix/domain';

function scalar(name: string, description: string, valid: (v: string) => boolean, example: string): GraphQLScalarType {
  const parse = (value: unknown): string => {
    if (typeof value !== 'string' || !valid(value)) {
      throw new GraphQLError(`${name} must be ${description}, e.g. ${example}`, { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return value;
  };
  return new GraphQLScalarType({
    name,
    description: `${description}, e.g. ${example}`,
    serialize: (value) => value,
    parseValue: parse,
    parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
  });
}

/** RFC 3339 timestamps with an offset, as the events carry them. */
export const DateTimeScalar = scalar('DateTime', 'an RFC 3339 timestamp with a time zone offset', isRealTimestamp, '2026-01-05T09:00:00Z');
/** Calendar days. */
export const DateScalar = scalar('Date', 'a calendar date (YYYY-MM-DD)', isRealDate, '2026-01-05');
