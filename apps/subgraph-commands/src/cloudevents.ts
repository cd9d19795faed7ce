import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { SCOPES } from '@phoenix/domain';
import { type ContextKeys } from '@phoenix/access';
import { HttpGraphQLError, readBodyText, type HttpHandler } from '@phoenix/service';
import { authenticate } from '@phoenix/subgraph';
import { WriteError } from './errors';
import type { PublishAnswer, Writer } from './writer';

/**
 * The CloudEvents HTTP protocol binding (CloudEvents 1.0, HTTP binding and JSON format)
 * on POST /v1/events: structured (`application/cloudevents+json`, one envelope), batch
 * (`application/cloudevents-batch+json`, an array) and binary (attributes in `ce-*`
 * headers, `data` as the JSON body). Same validation, tenant rule, idempotency and
 * receipts as publishEvents; the gateway forwards here with its signed context.
 */
export type BindingMode = 'structured' | 'batch' | 'binary';

export class BindingError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BindingError';
  }
}

// ce-* headers whose values are numbers in the JSON format.
const INTEGER_ATTRIBUTES = new Set(['seq']);

/** The envelopes a request carries, by its content type (pure: headers and body text in). */
export function parseBinding(headers: IncomingHttpHeaders, body: string): { mode: BindingMode; events: unknown[] } {
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type === 'application/cloudevents+json') return { mode: 'structured', events: [parseJson(body)] };
  if (type === 'application/cloudevents-batch+json') {
    const value = parseJson(body);
    if (!Array.isArray(value)) throw new BindingError(400, 'BAD_REQUEST', 'a batch must be a JSON array of CloudEvents');
    return { mode: 'batch', events: value };
  }
  if (headers['ce-specversion'] !== undefined) {
    if (type !== 'application/json') {
      throw new BindingError(415, 'UNSUPPORTED_MEDIA_TYPE', 'binary mode carries data as application/json; Phoenix events hold JSON state');
    }
    const event: Record<string, unknown> = { datacontenttype: 'application/json' };
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith('ce-') || value === undefined) continue;
      const attribute = name.slice(3);
      // Header values are percent-encoded where needed (HTTP binding 3.1.3.2).
      const text = safeDecode(Array.isArray(value) ? value.join(',') : value);
      event[attribute] = INTEGER_ATTRIBUTES.has(attribute) && /^\d+$/.test(text) ? Number(text) : text;
    }
    event['data'] = body.trim() === '' ? undefined : parseJson(body);
    return { mode: 'binary', events: [event] };
  }
  throw new BindingError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'send application/cloudevents+json (structured), application/cloudevents-batch+json (batch), or ce-* headers with application/json (binary)',
  );
}

/** `Prefer: wait=N` (RFC 7240): seconds to wait for the ingest to record the events. */
export function preferredWaitMs(header: string | string[] | undefined): number {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const match = /(?:^|[,;\s])wait=(\d+)/i.exec(text);
  return match ? Number(match[1]) * 1000 : 0;
}

/**
 * The answer's status: 202 when every event was accepted, 207 when some were refused,
 * 400 when none was (the body holds each event's result either way).
 */
export function statusOf(answer: PublishAnswer): number {
  if (answer.refused === 0) return 202;
  return answer.accepted > 0 ? 207 : 400;
}

export function cloudEventsHandler(deps: { writer: Writer; contextKeys: ContextKeys; maxBodyBytes: number; logger: Logger }): HttpHandler {
  const { writer, contextKeys, logger } = deps;
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (req.method !== 'POST') throw new BindingError(405, 'METHOD_NOT_ALLOWED', 'POST CloudEvents to /v1/events');
      const auth = authenticateOrRefuse(req, contextKeys);
      if (!auth.scopes.includes(SCOPES.eventsWrite)) {
        throw new BindingError(
          403,
          'FORBIDDEN',
          `POST /v1/events needs the "${SCOPES.eventsWrite}" scope; ask the API owner to add it to your consumer`,
        );
      }
      const body = await readBody(req, deps.maxBodyBytes);
      const { mode, events } = parseBinding(req.headers, body);
      const key = header(req.headers['idempotency-key']);
      const waitMs = Math.min(preferredWaitMs(req.headers['prefer']), writer.config.maxWaitMs);
      const answer = await writer.publish(auth, events, {
        idempotencyKey: key ?? null,
        waitMs,
        traceparent: header(req.headers['traceparent']) ?? null,
      });
      const status = statusOf(answer);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        ...(waitMs > 0 ? { 'preference-applied': `wait=${Math.round(waitMs / 1000)}` } : {}),
      });
      res.end(JSON.stringify({ mode, ...answer }));
    } catch (err) {
      if (err instanceof WriteError) {
        const retry = err.extra.retryAfterSeconds;
        return problem(res, err.status, err.code, err.message, retry === undefined ? {} : { 'retry-after': String(retry) }, err.extra);
      }
      if (err instanceof BindingError) return problem(res, err.status, err.code, err.message);
      if (err instanceof HttpGraphQLError) return problem(res, err.status, err.code, err.message, err.headers);
      logger.error({ err }, 'cloudevents request failed');
      throw err;
    }
  };
}

function authenticateOrRefuse(req: IncomingMessage, keys: ContextKeys) {
  return authenticate(req, keys);
}

/** `{ error: { code, message } }`, the error body of the HTTP routes; per-event problems ride along. */
function problem(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ error: { code, message, ...extra } }));
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return readBodyText(
    req,
    maxBytes,
    () => new BindingError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes; send fewer events per request`),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BindingError(400, 'BAD_REQUEST', 'the body is not valid JSON');
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
