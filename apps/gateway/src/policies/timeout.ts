import { HttpGraphQLError } from '@phoenix/service';
import { CONTINUE, type Policy } from '../policy';

/**
 * REQUEST_TIMEOUT_MS for what follows it in the flow (the route): when it runs out, the
 * exchange is aborted with 504 REQUEST_TIMEOUT, which the route answers and which stops
 * the subgraph calls still waiting.
 */
export function timeoutPolicy(options: { ms: number }): Policy {
  const { ms } = options;
  return {
    name: 'timeout',
    onRequest(exchange) {
      exchange.timer = setTimeout(
        () => exchange.abort.abort(new HttpGraphQLError(504, 'REQUEST_TIMEOUT', `the request took longer than ${ms} ms`)),
        ms,
      );
      return CONTINUE;
    },
    onResponse(exchange) {
      clearTimeout(exchange.timer);
    },
  };
}

/** `work`, or the signal's reason once it is aborted, whichever comes first. */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort as () => void);
  }
}
