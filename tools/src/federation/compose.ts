import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS, WORKSPACE_ROOT, type SubgraphSource } from './subgraphs';

export class CompositionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`composition failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

/**
 * Composes the supergraph SDL from the subgraphs' SDL files with @apollo/composition,
 * the same library the gateway's query planner is built on. Errors name the code and
 * the subgraph, so a broken @key or a conflicting shared type says where to look.
 */
export function composeSupergraph(
  subgraphs: readonly SubgraphSource[] = SUBGRAPHS,
  options: { root?: string; urls?: Record<string, string> } = {},
): { supergraphSdl: string; hints: string[] } {
  const root = options.root ?? WORKSPACE_ROOT;
  const services = subgraphs.map((s) => ({
    name: s.name,
    url: options.urls?.[s.name] ?? s.url,
    typeDefs: parse(readFileSync(join(root, s.sdlPath), 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(result.errors.map((e) => `${String(e.extensions['code'] ?? 'ERROR')}: ${e.message}`));
  }
  return { supergraphSdl: result.supergraphSdl, hints: result.hints.map((h) => `${h.definition.code}: ${h.message}`) };
}
