import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from 'pino';

/** The subgraphs a supergraph routes to: name → URL, from its join__Graph enum. */
export function subgraphUrls(supergraphSdl: string): Map<string, string> {
  return new Map(
    [...supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)].map((m) => [m[1] as string, m[2] as string]),
  );
}

/**
 * The supergraph from a file (composed by `npm run compose` and checked in), reloaded
 * without a restart when the file changes (polled every second) or on SIGHUP. An
 * invalid new supergraph is refused by @apollo/gateway, which keeps serving the last
 * good one; the refusal is logged with why and reported to `onRefused` (a metric), as
 * is a file that cannot be read. A successful load is logged and counted by the caller.
 */
export function supergraphFromFile(path: string, logger: Logger, onRefused?: () => void): SupergraphSdlHook {
  const read = () => readFileSync(path, 'utf8');
  return async ({ update }) => {
    let current = read();
    const reload = (reason: string) => {
      let next: string;
      try {
        next = read();
      } catch (err) {
        logger.error({ err, path }, 'supergraph reload failed: cannot read the file; keeping the current one');
        onRefused?.();
        return;
      }
      if (next === current) return;
      logger.info({ path, reason }, 'supergraph changed: reloading');
      current = next;
      try {
        update(next);
      } catch (err) {
        logger.error({ err, path }, 'supergraph reload refused; keeping the current one');
        onRefused?.();
      }
    };
    const onFileChange = () => reload('file changed');
    const onHangup = () => reload('SIGHUP');
    watchFile(path, { interval: 1000 }, onFileChange);
    process.on('SIGHUP', onHangup);
    return {
      supergraphSdl: current,
      cleanup: async () => {
        unwatchFile(path, onFileChange);
        process.off('SIGHUP', onHangup);
      },
    };
  };
}
