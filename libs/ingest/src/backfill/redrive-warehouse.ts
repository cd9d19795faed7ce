import { deadLetterOriginalsQuery, markDeadLettersRedrivenStatement, type DeadLetterOriginalRow, type Warehouse } from '@phoenix/bq';
import type { RedriveDeps } from './redrive';

/**
 * A redrive's warehouse side: sets redriven_at of the letters' dead_letters rows (for
 * the audit API), and fetches the originals of stub letters. Both read only the
 * partitions between the letters' earliest and latest receive times.
 */
export function redriveWarehouseDeps(warehouse: Warehouse): Required<Pick<RedriveDeps, 'markRedriven' | 'fetchOriginals'>> {
  const receivedRange = (letters: readonly { receivedAtMs: number }[]) => {
    const times = letters.map((l) => l.receivedAtMs);
    return { from: new Date(Math.min(...times)), to: new Date(Math.max(...times)) };
  };
  return {
    markRedriven: async (letters, at) => {
      const statement = markDeadLettersRedrivenStatement(
        warehouse,
        letters.map((l) => l.id),
        at,
        receivedRange(letters),
      );
      return (await warehouse.execute(statement)).affectedRows;
    },
    fetchOriginals: async (letters) => {
      const rows = await warehouse.query<DeadLetterOriginalRow>(
        deadLetterOriginalsQuery(
          warehouse,
          letters.map((l) => l.id),
          receivedRange(letters),
        ),
      );
      return new Map(
        rows.map((r) => [
          r.dead_letter_id,
          { key: r.message_key, value: r.payload, headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : {} },
        ]),
      );
    },
  };
}
