import type { IHeaders } from 'kafkajs';
import { validateEvent, type DomainEvent, type PartialEventInfo, type ValidationProblem } from '@phoenix/domain';
import { headerText } from './dead-letter';

/** A message as read from Kafka, with the moment the ingest received it. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders | undefined;
  receivedAt: string;
}

export type Decoded =
  | {
      kind: 'event';
      message: ConsumedMessage;
      event: DomainEvent;
      traceparent: string | undefined;
      /** The value as text, decoded once here; events_raw stores it as the payload. */
      text: string;
    }
  | { kind: 'dead'; message: ConsumedMessage; problems: readonly ValidationProblem[]; partial: PartialEventInfo };

/** Bytes → a validated event, or the problems that send it to the dead letters. Never throws. */
export function decode(message: ConsumedMessage, options: { maxBytes: number }): Decoded {
  if (message.value === null) {
    return {
      kind: 'dead',
      message,
      problems: [
        {
          code: 'MALFORMED_JSON',
          path: '',
          message: 'the message has no value (a Kafka tombstone); send a phoenix.<entity>.deleted event instead',
        },
      ],
      partial: {},
    };
  }
  const result = validateEvent(message.value, { maxBytes: options.maxBytes });
  if (!result.ok) return { kind: 'dead', message, problems: result.problems, partial: result.partial };
  return {
    kind: 'event',
    message,
    event: result.event,
    traceparent: headerText(message.headers, 'traceparent'),
    // validateEvent returns the text it decoded from the bytes; decoding them again for the raw row would only cost.
    text: result.text ?? message.value.toString('utf8'),
  };
}
