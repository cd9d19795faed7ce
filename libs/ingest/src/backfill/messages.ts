import type { Message } from 'kafkajs';

/**
 * Upper bound for one produce call. Kafka's default `max.message.bytes` (1 MiB) limits
 * each partition's record batch within a request; keeping the whole send under it
 * guarantees every partition's share fits however the keys spread. With events of a
 * few hundred bytes the count bound (500 messages) is reached first.
 */
export const MAX_SEND_BYTES = 900 * 1024;

/** Approximate wire size of a message: key, value and headers. */
export function messageBytes(message: Message): number {
  let size = byteLength(message.value) + byteLength(message.key);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) size += name.length + byteLength(item);
  }
  return size;
}

function byteLength(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Splits messages into sends of at most `maxCount` messages and `maxBytes` bytes (a bigger single message goes alone). */
export function chunkMessages(messages: readonly Message[], maxCount: number, maxBytes = MAX_SEND_BYTES): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
