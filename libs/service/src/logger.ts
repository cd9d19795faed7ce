import pino, { type DestinationStream, type Logger } from 'pino';
import { PERSONAL_DATA_FIELDS } from '@phoenix/domain';

// Personal data must never reach a log line, even by accident (docs/data-model.md, personal data): pino
// censors these paths wherever an event's data or an entity state is logged.
const PERSONAL_DATA_PATHS = [...new Set(Object.values(PERSONAL_DATA_FIELDS).flat())].flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.*.*.${field}`,
]);

/** JSON logs on stdout; ids go in fields, never into the message text. */
export function createLogger(options: { level: string; name: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: PERSONAL_DATA_PATHS, censor: '[personal data]' },
    },
    options.destination ?? pino.destination(1),
  );
}
