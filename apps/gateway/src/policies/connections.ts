import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpGraphQLError, readJsonBody } from '@phoenix/service';
import { CONTINUE, type Policy } from '../policy';

export interface ConnectionLimits {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 0: no limit. */
  maxConnectionsPerIp: number;
}

/**
 * Reads the JSON body within `maxBytes` and `timeoutMs`. A client that announces a body
 * and then goes silent (or trickles it) gets 408 REQUEST_BODY_TIMEOUT and its
 * connection closed, instead of holding it until the socket dies.
 */
export async function readBodyWithin(
  req: IncomingMessage,
  res: ServerResponse,
  options: { maxBytes: number; timeoutMs: number },
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // The rest of the body will never be read: the connection cannot be reused.
      res.once('finish', () => req.socket.destroy());
      reject(
        new HttpGraphQLError(408, 'REQUEST_BODY_TIMEOUT', `the request body did not arrive within ${options.timeoutMs} ms`, {
          connection: 'close',
        }),
      );
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([readJsonBody(req, options.maxBytes), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a POST's body into the exchange, within MAX_BODY_BYTES (413) and BODY_TIMEOUT_MS (408). */
export function bodyPolicy(options: { maxBytes: number; timeoutMs: number }): Policy {
  return {
    name: 'body',
    async onRequest(exchange) {
      if (exchange.req.method === 'POST') exchange.body = await readBodyWithin(exchange.req, exchange.res, options);
      return CONTINUE;
    },
  };
}

/**
 * Bounds what a connection may hold before it is authenticated: Node's headers timeout
 * (it answers 408 itself and closes), a request timeout as a backstop for the body, the
 * idle time of keep-alive sockets, and the number of open connections per client IP
 * address — one more is answered 429 TOO_MANY_CONNECTIONS and closed at once.
 * Must run before `listen`: Node starts its timeout checker then.
 */
export function limitConnections(server: Server, limits: ConnectionLimits, onRefused?: () => void): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.headersTimeoutMs + limits.bodyTimeoutMs + 5_000;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Node checks headers and request timeouts on this interval (default 30 s): a 10 s limit
  // would otherwise fire after up to 40 s.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1_000, limits.headersTimeoutMs);
  if (limits.maxConnectionsPerIp <= 0) return;
  const open = new Map<string, number>();
  server.prependListener('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? 'unknown';
    const count = open.get(ip) ?? 0;
    if (count >= limits.maxConnectionsPerIp) {
      onRefused?.();
      const body = JSON.stringify({
        errors: [
          {
            message: `at most ${limits.maxConnectionsPerIp} open connections per client address: reuse connections or close idle ones`,
            extensions: { code: 'TOO_MANY_CONNECTIONS' },
          },
        ],
      });
      // The client may be gone already; nothing to report.
      socket.on('error', () => undefined);
      // Written before Node's HTTP parser sees a byte, then closed: a fresh socket takes the
      // small write at once, and no request on it is ever read or handled.
      socket.write(
        'HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\n' +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      socket.destroy();
      return;
    }
    open.set(ip, count + 1);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left <= 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
}
