import { randomUUID } from 'node:crypto';
import { createCloudEvent, type EntityType, type EventAction } from '@phoenix/domain';
import { type RequestContext } from '@phoenix/access';
import {
  ACTIVE_BOOKING_STATUSES,
  currentByIdsQuery,
  listCurrentQuery,
  type Condition,
  type Row,
  type Statement,
  type Warehouse,
} from '@phoenix/bq';
import { WriteError } from './errors';
import { checkCheckInWindow, checkSlot, checkTransition, stateOfRow, type Transition } from './rules';
import { keyedId, type WriteStore } from './store';
import type { Receipt, Writer } from './writer';

/** Reads of the current state, tenant-checked (the subgraph context's warehouse). */
export interface StateReader {
  query<T extends Row = Row>(name: string, statement: Statement): Promise<T[]>;
}

export interface CommandOptions {
  idempotencyKey?: string | null;
  waitForRecorded?: boolean | null;
  traceparent?: string | null;
}

export interface DeskBookingInput {
  bookingId?: string | null;
  deskId: string;
  memberId: string;
  startTime: string;
  endTime: string;
  date?: string | null;
}

export interface RoomBookingInput {
  bookingId?: string | null;
  roomId: string;
  organizerId: string;
  title?: string | null;
  startTime: string;
  endTime: string;
  attendeeCount: number;
}

export interface VisitInput {
  visitId?: string | null;
  hostId: string;
  buildingId: string;
  visitorName: string;
  visitorEmail?: string | null;
  visitorCompany?: string | null;
  expectedAt: string;
}

/** Every command's events name this source; who sent it travels in the writer attributes. */
export const COMMAND_SOURCE = '/phoenix/commands';
// Check-in opens this long before a booking starts (a member arriving early).
const CHECK_IN_EARLY_MS = 30 * 60_000;
// Commands on one entity are serialised for this long at most (a crashed replica's lock frees itself).
const LOCK_MS = 30_000;

interface Decision {
  action: EventAction;
  data: Record<string, unknown>;
  /** A booking's claim on its desk day or room slot, taken before the state check. */
  claim?: { resource: string; start: number; end: number; check: () => Promise<string | null> };
  /** A claim this command ends (a cancellation). */
  unclaim?: { resource: string };
}

/**
 * The commands: each reads the current state it needs, applies the rules, and appends
 * the state-carried event the ingest applies. Idempotency keys map to the event id and
 * (for new entities) the entity id, so a retry is the same event.
 */
export function createCommands(deps: { writer: Writer; store: WriteStore; warehouse: Warehouse }) {
  const { writer, store, warehouse } = deps;
  const config = writer.config;

  async function current(
    db: StateReader,
    auth: RequestContext,
    entityType: EntityType,
    id: string,
  ): Promise<Record<string, unknown> | null> {
    const [row] = await db.query(
      `commands:${entityType}`,
      currentByIdsQuery(warehouse, entityType, { tenantId: auth.tenantId, ids: [id] }),
    );
    const stored = await store.lastState(`${auth.tenantId}:${entityType}:${id}`);
    const commanded = stored ? (JSON.parse(stored) as { timeMs: number; eventId: string; state: Record<string, unknown> }) : null;
    // The newer of what the warehouse shows and what this service last commanded (the ingest may lag).
    if (commanded && (!row || Date.parse(String(row['valid_from'])) <= commanded.timeMs))
      return { ...commanded.state, __eventId: commanded.eventId };
    return row ? { ...stateOfRow(entityType, row), __seq: row['seq'] ?? null, __eventId: row['event_id'] } : null;
  }

  async function mustExist(db: StateReader, auth: RequestContext, entityType: EntityType, id: string, what: string) {
    const state = await current(db, auth, entityType, id);
    if (!state) throw new WriteError('NOT_FOUND', `${what} ${id} does not exist (or was deleted)`);
    return state;
  }

  async function timeZoneOfFloor(db: StateReader, auth: RequestContext, floorId: unknown): Promise<string> {
    if (typeof floorId !== 'string') return 'UTC';
    const floor = await current(db, auth, 'floor', floorId);
    if (!floor || typeof floor['buildingId'] !== 'string') return 'UTC';
    const building = await current(db, auth, 'building', floor['buildingId']);
    return typeof building?.['timezone'] === 'string' ? building['timezone'] : 'UTC';
  }

  /**
   * An active booking in the way, by the current state as the warehouse shows it, each
   * candidate re-read through `current` so one this service has just cancelled (the ingest
   * may not have recorded that yet) no longer counts.
   */
  async function activeBookings(
    db: StateReader,
    auth: RequestContext,
    entityType: 'desk_booking' | 'room_booking',
    where: Condition[],
    except: string,
  ) {
    const rows = await db.query<{ id: string }>(
      `commands:${entityType}:active`,
      listCurrentQuery(warehouse, entityType, {
        tenantId: auth.tenantId,
        where: [...where, { column: 'status', op: 'in', values: ACTIVE_BOOKING_STATUSES }],
        orderBy: { column: 'start_time', direction: 'ASC' },
        after: null,
        limit: 20,
      }),
    );
    for (const row of rows) {
      if (row.id === except) continue;
      const state = await current(db, auth, entityType, row.id);
      if (state && (ACTIVE_BOOKING_STATUSES as readonly unknown[]).includes(state['status'])) return row.id;
    }
    return null;
  }

  /** Runs one command: idempotency, lock, decision, claim, append, receipt, optional wait. */
  async function run(
    auth: RequestContext,
    db: StateReader,
    name: string,
    entityType: EntityType,
    entityId: string,
    request: unknown,
    options: CommandOptions,
    decide: (eventId: string) => Promise<Decision>,
  ): Promise<Receipt> {
    const receipt = await writer.once(auth, name, options.idempotencyKey, request, async () => {
      const eventId = options.idempotencyKey
        ? keyedId('cmd-', auth.tenantId, auth.consumerId, options.idempotencyKey, name)
        : `cmd-${randomUUID()}`;
      const entity = `${auth.tenantId}:${entityType}:${entityId}`;
      const token = randomUUID();
      if (!(await store.lock(entity, token, LOCK_MS))) {
        throw new WriteError('CONFLICT', `another command on ${entityType} ${entityId} is in flight; read it again and retry`, {
          conflictsWith: entityId,
        });
      }
      try {
        const decision = await decide(eventId);
        if (decision.claim) {
          const { resource, start, end, check } = decision.claim;
          const holder = await store.claim(`${auth.tenantId}:${resource}`, entityId, start, end, config.claimTtlSeconds);
          const conflict =
            holder ??
            (await check().catch(async (err: unknown) => {
              await store.unclaim(`${auth.tenantId}:${resource}`, entityId);
              throw err;
            }));
          if (conflict) {
            if (!holder) await store.unclaim(`${auth.tenantId}:${resource}`, entityId);
            throw new WriteError('CONFLICT', `${resource} is already booked by ${conflict} for an overlapping slot`, {
              conflictsWith: conflict,
            });
          }
        }
        const timeMs = Date.now();
        const { __seq: seq, __eventId: _previous, ...data } = decision.data;
        const envelope = createCloudEvent({
          id: eventId,
          tenantId: auth.tenantId,
          entityType,
          action: decision.action,
          time: new Date(timeMs),
          data: data as never,
          source: COMMAND_SOURCE,
          ...(typeof seq === 'number' ? { seq: seq + 1 } : {}),
        }) as unknown as Record<string, unknown>;
        let result: Receipt;
        try {
          result = await writer.appendOne(auth, envelope, options.traceparent);
        } catch (err) {
          if (decision.claim) await store.unclaim(`${auth.tenantId}:${decision.claim.resource}`, entityId).catch(() => undefined);
          throw err;
        }
        await store.setLastState(
          entity,
          JSON.stringify({ timeMs, state: { ...data, __seq: envelope['seq'] ?? null } }),
          config.claimTtlSeconds,
        );
        if (decision.unclaim) await store.unclaim(`${auth.tenantId}:${decision.unclaim.resource}`, entityId);
        return result;
      } finally {
        await store.unlock(entity, token).catch(() => undefined);
      }
    });
    if (options.waitForRecorded) await writer.waitRecorded(auth, [receipt], config.maxWaitMs);
    return receipt;
  }

  const newId = (prefix: string, auth: RequestContext, given: string | null | undefined, key: string | null | undefined, name: string) =>
    given ?? (key ? keyedId(prefix, auth.tenantId, auth.consumerId, key, name) : `${prefix}${randomUUID()}`);

  /** A lifecycle command on an existing booking or visit. */
  function lifecycle(
    entityType: 'desk_booking' | 'room_booking' | 'visit',
    name: string,
    transition: Transition,
    apply: (state: Record<string, unknown>, nowIso: string) => { action: EventAction; data: Record<string, unknown>; unclaim?: string },
  ) {
    return (auth: RequestContext, db: StateReader, id: string, options: CommandOptions) =>
      run(auth, db, name, entityType, id, { id }, options, async () => {
        const state = await mustExist(db, auth, entityType, id, entityType.replace('_', ' '));
        checkTransition(transition, `${entityType.replace('_', ' ')} ${id}`, String(state['status']));
        const next = apply(state, new Date().toISOString());
        return { action: next.action, data: next.data, ...(next.unclaim ? { unclaim: { resource: next.unclaim } } : {}) };
      });
  }

  return {
    bookDesk: (auth: RequestContext, db: StateReader, input: DeskBookingInput, options: CommandOptions) => {
      const id = newId('dbk-', auth, input.bookingId, options.idempotencyKey, 'bookDesk');
      // A retry of a keyed booking whose first attempt reached Kafka but not its stored answer
      // (a crash) finds its own event: it produces the same event id again, recorded once.
      return run(auth, db, 'bookDesk', 'desk_booking', id, input, options, async (eventId) => {
        // Independent reads in parallel: each is a warehouse round trip.
        const [desk, member, existing] = await Promise.all([
          mustExist(db, auth, 'desk', input.deskId, 'desk'),
          mustExist(db, auth, 'member', input.memberId, 'member'),
          current(db, auth, 'desk_booking', id),
        ]);
        if (desk['bookable'] !== true) throw new WriteError('NOT_BOOKABLE', `desk ${input.deskId} is not bookable`);
        if (member['active'] === false) throw new WriteError('NOT_BOOKABLE', `member ${input.memberId} is not active`);
        if (existing && existing['__eventId'] !== eventId)
          throw new WriteError('CONFLICT', `desk booking ${id} already exists`, { conflictsWith: id });
        const timeZone = await timeZoneOfFloor(db, auth, desk['floorId']);
        const slot = checkSlot({ ...input, timeZone, nowMs: Date.now(), pastToleranceMs: config.pastToleranceMs, sameDay: true });
        return {
          action: 'created',
          data: {
            id,
            deskId: input.deskId,
            memberId: input.memberId,
            date: slot.date,
            startTime: iso(slot.startMs),
            endTime: iso(slot.endMs),
            status: 'booked',
          },
          // One active booking per desk and local day, as `desks(filter: { freeOn })` reads it.
          claim: {
            resource: `desk:${input.deskId}:${slot.date}`,
            start: 0,
            end: 1,
            check: () =>
              activeBookings(
                db,
                auth,
                'desk_booking',
                [
                  { column: 'desk_id', op: '=', value: input.deskId },
                  { column: 'date', op: '=', value: slot.date },
                ],
                id,
              ),
          },
        };
      });
    },
    cancelDeskBooking: lifecycle('desk_booking', 'cancelDeskBooking', 'cancel', (s, now) => ({
      action: 'cancelled',
      data: { ...s, status: 'cancelled', cancelledAt: now },
      unclaim: `desk:${String(s['deskId'])}:${String(s['date'])}`,
    })),
    checkInDeskBooking: (auth: RequestContext, db: StateReader, id: string, options: CommandOptions) =>
      lifecycle('desk_booking', 'checkInDeskBooking', 'checkIn', (s, now) => {
        checkCheckInWindow(`desk booking ${id}`, String(s['startTime']), String(s['endTime']), Date.now(), CHECK_IN_EARLY_MS);
        return { action: 'checked_in', data: { ...s, status: 'checked_in', checkedInAt: now } };
      })(auth, db, id, options),

    bookRoom: (auth: RequestContext, db: StateReader, input: RoomBookingInput, options: CommandOptions) => {
      const id = newId('rbk-', auth, input.bookingId, options.idempotencyKey, 'bookRoom');
      return run(auth, db, 'bookRoom', 'room_booking', id, input, options, async (eventId) => {
        const [room, organizer, existing] = await Promise.all([
          mustExist(db, auth, 'room', input.roomId, 'room'),
          mustExist(db, auth, 'member', input.organizerId, 'member'),
          current(db, auth, 'room_booking', id),
        ]);
        if (room['bookable'] !== true) throw new WriteError('NOT_BOOKABLE', `room ${input.roomId} is not bookable`);
        if (typeof room['capacity'] === 'number' && input.attendeeCount > room['capacity']) {
          throw new WriteError('NOT_BOOKABLE', `room ${input.roomId} seats ${room['capacity']}, not ${input.attendeeCount}`);
        }
        if (organizer['active'] === false) throw new WriteError('NOT_BOOKABLE', `member ${input.organizerId} is not active`);
        if (existing && existing['__eventId'] !== eventId)
          throw new WriteError('CONFLICT', `room booking ${id} already exists`, { conflictsWith: id });
        const timeZone = await timeZoneOfFloor(db, auth, room['floorId']);
        const slot = checkSlot({ ...input, timeZone, nowMs: Date.now(), pastToleranceMs: config.pastToleranceMs, sameDay: false });
        return {
          action: 'created',
          data: {
            id,
            roomId: input.roomId,
            organizerId: input.organizerId,
            title: input.title ?? null,
            startTime: iso(slot.startMs),
            endTime: iso(slot.endMs),
            attendeeCount: input.attendeeCount,
            status: 'booked',
          },
          // No two active bookings of one room overlap, as `rooms(filter: { freeFrom, freeTo })` reads it.
          claim: {
            resource: `room:${input.roomId}`,
            start: slot.startMs,
            end: slot.endMs,
            check: () =>
              activeBookings(
                db,
                auth,
                'room_booking',
                [
                  { column: 'room_id', op: '=', value: input.roomId },
                  { column: 'start_time', op: '<', value: iso(slot.endMs) },
                  { column: 'end_time', op: '>', value: iso(slot.startMs) },
                ],
                id,
              ),
          },
        };
      });
    },
    cancelRoomBooking: lifecycle('room_booking', 'cancelRoomBooking', 'cancel', (s, now) => ({
      action: 'cancelled',
      data: { ...s, status: 'cancelled', cancelledAt: now },
      unclaim: `room:${String(s['roomId'])}`,
    })),
    checkInRoomBooking: (auth: RequestContext, db: StateReader, id: string, options: CommandOptions) =>
      lifecycle('room_booking', 'checkInRoomBooking', 'checkIn', (s, now) => {
        checkCheckInWindow(`room booking ${id}`, String(s['startTime']), String(s['endTime']), Date.now(), CHECK_IN_EARLY_MS);
        return { action: 'checked_in', data: { ...s, status: 'checked_in', checkedInAt: now } };
      })(auth, db, id, options),

    registerVisit: (auth: RequestContext, db: StateReader, input: VisitInput, options: CommandOptions) => {
      const id = newId('vis-', auth, input.visitId, options.idempotencyKey, 'registerVisit');
      return run(auth, db, 'registerVisit', 'visit', id, input, options, async (eventId) => {
        const host = await mustExist(db, auth, 'member', input.hostId, 'member');
        if (host['active'] === false) throw new WriteError('NOT_BOOKABLE', `member ${input.hostId} is not active`);
        await mustExist(db, auth, 'building', input.buildingId, 'building');
        const existing = await current(db, auth, 'visit', id);
        if (existing && existing['__eventId'] !== eventId)
          throw new WriteError('CONFLICT', `visit ${id} already exists`, { conflictsWith: id });
        const expectedMs = Date.parse(input.expectedAt);
        if (Number.isNaN(expectedMs)) throw new WriteError('INVALID_SLOT', 'expectedAt must be an RFC 3339 timestamp');
        if (expectedMs < Date.now() - config.pastToleranceMs) throw new WriteError('INVALID_SLOT', 'expectedAt is in the past');
        return {
          action: 'created',
          data: {
            id,
            hostId: input.hostId,
            buildingId: input.buildingId,
            visitorName: input.visitorName,
            visitorEmail: input.visitorEmail ?? null,
            visitorCompany: input.visitorCompany ?? null,
            expectedAt: iso(expectedMs),
            status: 'booked',
          },
        };
      });
    },
    signInVisitor: lifecycle('visit', 'signInVisitor', 'signIn', (s, now) => ({
      action: 'checked_in',
      data: { ...s, status: 'checked_in', arrivedAt: now },
    })),
    signOutVisitor: lifecycle('visit', 'signOutVisitor', 'signOut', (s, now) => ({
      action: 'completed',
      data: { ...s, status: 'completed', departedAt: now },
    })),
    cancelVisit: lifecycle('visit', 'cancelVisit', 'cancel', (s) => ({ action: 'cancelled', data: { ...s, status: 'cancelled' } })),
  };
}

export type Commands = ReturnType<typeof createCommands>;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
