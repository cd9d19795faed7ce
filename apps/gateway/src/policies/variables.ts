import { HttpGraphQLError } from '@phoenix/service';
import { CONTINUE, type Policy } from '../policy';

/**
 * JSON threat protection for what a request carries besides the operation text
 * (`variables` and `extensions`), before anything else looks at them: nesting is
 * bounded (the response cache key, Apollo's variable coercion and the subgraph call all
 * walk these values, several of them recursively), and every string and object key
 * must be well-formed Unicode: a lone surrogate (`"\ud800"`) cannot be stored or
 * compared by the warehouse, so it is refused here as the client's mistake.
 * The walk is iterative, so no input can exhaust the stack.
 */
export function checkRequestValues(values: Readonly<Record<string, unknown>>, maxDepth: number): void {
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: field }];
    while (stack.length > 0) {
      const { value: current, depth, path } = stack.pop() as (typeof stack)[number];
      if (typeof current === 'string') {
        if (LONE_SURROGATE.test(current)) throw malformed(path);
        continue;
      }
      if (typeof current !== 'object' || current === null) continue;
      if (depth >= maxDepth) {
        throw new HttpGraphQLError(
          400,
          'MAX_VARIABLE_DEPTH_EXCEEDED',
          `${field} nests deeper than ${maxDepth} levels (at ${path}): send flatter values`,
        );
      }
      if (Array.isArray(current)) {
        for (let i = 0; i < current.length; i++) stack.push({ value: current[i], depth: depth + 1, path: `${path}[${i}]` });
      } else {
        for (const [key, child] of Object.entries(current)) {
          if (LONE_SURROGATE.test(key)) throw malformed(`${path} (a key)`);
          stack.push({ value: child, depth: depth + 1, path: `${path}.${key}` });
        }
      }
    }
  }
}

/** checkRequestValues for every operation of the request (JSON threat protection), before anything reads them. */
export function variablesPolicy(options: { maxDepth: number }): Policy {
  return {
    name: 'variables',
    onRequest(exchange) {
      for (const op of exchange.operations ?? []) {
        checkRequestValues({ variables: op['variables'], extensions: op['extensions'] }, options.maxDepth);
      }
      return CONTINUE;
    },
  };
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const malformed = (path: string) =>
  new HttpGraphQLError(400, 'BAD_USER_INPUT', `${path} is not well-formed Unicode (it holds a lone surrogate such as \\ud800)`);

/**
 * Writes any JSON value into `update` in a fixed form (object keys sorted), without
 * recursion: equal values give equal digests whatever their key order, and depth costs
 * heap, not stack. Feeds the response cache's key.
 */
export function feedValue(value: unknown, update: (chunk: string) => void): void {
  // Either a value still to write, or literal text (brackets, keys) to emit when popped.
  const stack: ({ value: unknown } | { text: string })[] = [{ value }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown } | { text: string };
    if ('text' in item) {
      update(item.text);
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      update('[');
      stack.push({ text: ']' });
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i] }, { text: ',' });
    } else if (typeof current === 'object' && current !== null) {
      update('{');
      stack.push({ text: '}' });
      const keys = Object.keys(current).sort();
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push({ value: (current as Record<string, unknown>)[key] }, { text: `,${JSON.stringify(key)}:` });
      }
    } else update(current === undefined ? 'null' : JSON.stringify(current));
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The shape of one operation in a POST body, as Apollo Server requires it: an object
 * with keys; `query` and `operationName` strings, `variables` and `extensions` objects
 * (or null). Apollo checks it per operation while the others of a batch already run, so
 * one malformed operation refused the batch while its siblings still called the
 * subgraphs; checked here for every operation first, the batch is refused before any runs.
 */
export function checkOperationEnvelope(op: unknown): asserts op is Record<string, unknown> {
  const refuse = (message: string) => new HttpGraphQLError(400, 'BAD_REQUEST', message);
  if (!isRecord(op) || Object.keys(op).length === 0)
    throw refuse('each operation must be a JSON object with a query (or a persisted query id)');
  if (op['query'] !== undefined && op['query'] !== null && typeof op['query'] !== 'string') throw refuse('query must be a string');
  if (op['operationName'] !== undefined && op['operationName'] !== null && typeof op['operationName'] !== 'string')
    throw refuse('operationName must be a string if given');
  for (const field of ['variables', 'extensions'])
    if (op[field] !== undefined && op[field] !== null && !isRecord(op[field])) throw refuse(`${field} must be a JSON object if given`);
}
