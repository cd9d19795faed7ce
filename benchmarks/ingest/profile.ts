import { writeFile } from 'node:fs/promises';
import { Session, type Profiler } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * In-process CPU profiling through the inspector protocol: the same profile
 * `node --cpu-prof` writes, but around one phase only, and summarised by self time so
 * the hot spots are named in the report. Profiling slows the code it watches, so
 * profiled runs are never the ones whose numbers are reported.
 */
export async function startProfile(): Promise<{ stop(): Promise<Profiler.Profile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 500 µs: fine enough for a few seconds of work, coarse enough to stay cheap.
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      session.disconnect();
      return profile;
    },
  };
}

export interface HotSpot {
  name: string;
  selfMs: number;
  /** Share of the profile's non-idle time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: HotSpot[];
  modules: HotSpot[];
}

/** Writes the profile (open it in Chrome DevTools or speedscope) and summarises it by self time. */
export async function saveProfile(profile: Profiler.Profile, file: string, root: string, top = 12): Promise<ProfileSummary> {
  await writeFile(file, JSON.stringify(profile));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time since the previous sample; charge it to that sample's node.
  for (let i = 1; i < samples.length; i++) self.set(samples[i - 1] as number, (self.get(samples[i - 1] as number) ?? 0) + (deltas[i] ?? 0));

  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0 || node.callFrame.functionName === '(idle)') continue;
    totalUs += us;
    const where = moduleOf(node.callFrame.url, root);
    const { url, lineNumber, columnNumber } = node.callFrame;
    const fn = `${node.callFrame.functionName || '(anonymous)'}${url ? ` ${where}:${sourceLine(url, lineNumber, columnNumber)}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    // Frames without a script are V8's own: (garbage collector), (program), or natives such as utf8Slice.
    const mod = node.callFrame.url ? where : node.callFrame.functionName || '(native)';
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), share: Math.round((us / totalUs) * 1000) / 1000 }));
  return { file, totalMs: Math.round(totalUs / 1000), functions: rank(byFunction), modules: rank(byModule) };
}

/**
 * The 1-based line in the original file. tsx compiles TypeScript with inline source
 * maps, so the profile's positions point into generated code; Node keeps those maps
 * (tsx enables source maps) and findSourceMap translates them back.
 */
function sourceLine(url: string, line: number, column: number): number {
  if (!url.startsWith('file://') || line < 0) return line + 1;
  const entry = findSourceMap(fileURLToPath(url))?.findEntry(line, column);
  return entry && 'originalLine' in entry ? entry.originalLine + 1 : line + 1;
}

/** A short location: the npm package, `node:internal`, or the path inside the repository. */
function moduleOf(url: string, root: string): string {
  // The innermost package when node_modules are nested.
  const inModules = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop();
  if (inModules) return inModules[1] as string;
  if (url.startsWith('node:')) return 'node:internal';
  if (url.startsWith('file://')) return relative(root, fileURLToPath(url));
  return url;
}
