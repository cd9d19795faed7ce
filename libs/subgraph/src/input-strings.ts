import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

// A UTF-16 surrogate without its pair: not a Unicode string, so it cannot be encoded as
// UTF-8 for the warehouse, whose client would fail the whole query.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string in `value` (variables: objects and lists, any depth) that holds a lone surrogate. */
export function loneSurrogateIn(value: unknown, path = 'variables'): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; path: string };
    if (typeof item.value === 'string') {
      if (LONE_SURROGATE.test(item.value)) return item.path;
    } else if (Array.isArray(item.value)) {
      item.value.forEach((v, i) => stack.push({ value: v, path: `${item.path}[${i}]` }));
    } else if (item.value !== null && typeof item.value === 'object') {
      for (const [key, v] of Object.entries(item.value)) stack.push({ value: v, path: `${item.path}.${key}` });
    }
  }
  return null;
}

/**
 * Refuses an operation whose variables hold a lone surrogate (a literal in the document
 * cannot: graphql-js refuses it as a syntax error) with
 * BAD_USER_INPUT (HTTP 400) before any resolver runs, instead of an internal error when
 * the warehouse client cannot encode it. The gateway refuses these first; this keeps a
 * subgraph called by anything else holding the same contract.
 */
export function inputStringsPlugin<C extends object>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request }) {
          const path = loneSurrogateIn(request.variables ?? {});
          if (path) {
            throw new GraphQLError(`${path} holds a lone UTF-16 surrogate: send well-formed Unicode text`, {
              extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
