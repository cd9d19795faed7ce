import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Summaries of the `node --cpu-prof` profiles a profiled gateway leg writes (one per process),
 * by self time, so the report can name the hot spots. Functions V8 inlined count toward their
 * caller. Profiling slows the code it watches: profiled legs are extra and never reported.
 */
export interface HotSpot {
  name: string;
  share: number;
}

export interface ProfileSummary {
  files: string[];
  totalMs: number;
  functions: HotSpot[];
  packages: HotSpot[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The package (node_modules/<name> or @scope/name) or workspace directory a script belongs to. */
function packageOf(url: string, root: string): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return (parts[0] as string).startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  }
  if (path.startsWith('node:') || !path.startsWith('/')) return 'node (core)';
  return relative(root, path).split('/').slice(0, 3).join('/');
}

export function summariseProfiles(dir: string, root: string, top = 15): ProfileSummary {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let totalUs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const self = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 1; i < samples.length; i++)
      self.set(samples[i - 1] as number, (self.get(samples[i - 1] as number) ?? 0) + (deltas[i] ?? 0));
    for (const node of profile.nodes) {
      const us = self.get(node.id) ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      if (us === 0 || functionName === '(idle)') continue;
      totalUs += us;
      const pkg = packageOf(url, root);
      const where = url ? ` ${url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url}:${lineNumber + 1}` : '';
      const fn = `${functionName || '(anonymous)'}${where}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      const group = url ? pkg : functionName;
      byPackage.set(group, (byPackage.get(group) ?? 0) + us);
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: Math.round((us / totalUs) * 1000) / 1000 }));
  return { files, totalMs: Math.round(totalUs / 1000), functions: rank(byFunction), packages: rank(byPackage) };
}
