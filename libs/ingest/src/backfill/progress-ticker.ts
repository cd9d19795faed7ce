/**
 * The progress step of an import or a redrive: `due()` is true at most once per
 * `intervalMs` (default 1 s), counted from `startedMs`.
 */
export function createProgressTicker(options: { now: () => number; startedMs: number; intervalMs?: number }) {
  let last = options.startedMs;
  return {
    due(): boolean {
      const at = options.now();
      if (at - last < (options.intervalMs ?? 1000)) return false;
      last = at;
      return true;
    },
  };
}
