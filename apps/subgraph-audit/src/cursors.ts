import { isEntityType, isRealTimestamp } from '@phoenix/domain';
import type { ChangeKey, DeadLetterKey, VersionKey } from '@phoenix/bq';
import type { CursorKey } from '@phoenix/subgraph';

/**
 * The cursor keys of the audit lists. Cursors are readable by clients (not signed), so
 * each `decode` checks every value it reads; the typed key it returns goes to the
 * statement builders unchecked.
 */
const isTimestamp = (v: unknown): v is string => typeof v === 'string' && isRealTimestamp(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** A history page continues after (validFrom, seq, eventId). */
export const versionCursor: CursorKey<VersionKey> = {
  encode: (k) => [k.validFrom, k.seq, k.eventId],
  decode: (raw) => {
    const [validFrom, seq, eventId] = raw;
    const seqOk = seq === null || (Number.isSafeInteger(seq) && (seq as number) >= 0);
    return raw.length === 3 && isTimestamp(validFrom) && seqOk && isId(eventId) ? { validFrom, seq: seq as number | null, eventId } : null;
  },
};

/** The change feed continues after (recordedAt, entityType, id, eventId). */
export const changeCursor: CursorKey<ChangeKey> = {
  encode: (k) => [k.recordedAt, k.entityType, k.id, k.eventId],
  decode: (raw) => {
    const [recordedAt, entityType, id, eventId] = raw;
    return raw.length === 4 &&
      isTimestamp(recordedAt) &&
      typeof entityType === 'string' &&
      isEntityType(entityType) &&
      isId(id) &&
      isId(eventId)
      ? { recordedAt, entityType, id, eventId }
      : null;
  },
};

/** Dead letters continue after (receivedAt, deadLetterId), newest first. */
export const deadLetterCursor: CursorKey<DeadLetterKey> = {
  encode: (k) => [k.receivedAt, k.deadLetterId],
  decode: (raw) => {
    const [receivedAt, deadLetterId] = raw;
    return raw.length === 2 && isTimestamp(receivedAt) && isId(deadLetterId) ? { receivedAt, deadLetterId } : null;
  },
};
