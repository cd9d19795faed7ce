import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createExchange, type Exchange } from '../exchange';

/** A response that records what a policy wrote, for unit tests without an HTTP server. */
export interface FakeResponse {
  statusCode: number;
  headers: Record<string, string | number | readonly string[]>;
  body: string;
  ended: boolean;
}

/** An exchange over a fake request (method, url, headers; an optional body to read) and a recording response. */
export function fakeExchange(
  init: { method?: string; url?: string; headers?: Record<string, string>; body?: string } = {},
): Exchange & { written: FakeResponse } {
  const req = Object.assign(new EventEmitter(), {
    method: init.method ?? 'POST',
    url: init.url ?? '/graphql',
    headers: { ...(init.headers ?? {}) },
    socket: { destroy: () => undefined },
    resume: () => undefined,
    async *[Symbol.asyncIterator]() {
      if (init.body !== undefined) yield Buffer.from(init.body);
    },
  }) as unknown as IncomingMessage;
  const written: FakeResponse = { statusCode: 200, headers: {}, body: '', ended: false };
  const res = Object.assign(new EventEmitter(), {
    get statusCode() {
      return written.statusCode;
    },
    set statusCode(v: number) {
      written.statusCode = v;
    },
    get headersSent() {
      return written.ended;
    },
    setHeader: (name: string, value: string) => void (written.headers[name.toLowerCase()] = value),
    getHeader: (name: string) => written.headers[name.toLowerCase()],
    writeHead(status: number, headers: Record<string, string> = {}) {
      written.statusCode = status;
      for (const [k, v] of Object.entries(headers)) written.headers[k.toLowerCase()] = v;
      return res;
    },
    write: (chunk: string) => void (written.body += chunk),
    end(chunk?: string) {
      if (chunk) written.body += chunk;
      written.ended = true;
    },
  }) as unknown as ServerResponse;
  return Object.assign(createExchange(req, res), { written });
}
