/**
 * `npm run compose`: writes the supergraph the gateway loads (apps/gateway/src/supergraph.graphql)
 * from the subgraphs' SDL files, and each subgraph's resolver types beside its SDL.
 * `--check` only compares, and fails when a checked-in file is stale — CI runs the same
 * comparison as a unit test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { composeSupergraph, CompositionError } from './federation/compose';
import { resolverTypes } from './federation/resolver-types';
import { SUBGRAPHS, SUPERGRAPH_PATH, WORKSPACE_ROOT } from './federation/subgraphs';

/** Writes `content` to `path` (relative to the workspace) unless it is already there; with `check`, only reports. */
function sync(path: string, content: string, check: boolean): boolean {
  const target = join(WORKSPACE_ROOT, path);
  let current: string | null = null;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = null;
  }
  if (current === content) {
    console.log(`${path} is up to date`);
    return true;
  }
  if (check) {
    console.error(`${path} is stale: run npm run compose and commit the result`);
    return false;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
  return true;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  let composed: ReturnType<typeof composeSupergraph>;
  try {
    composed = composeSupergraph();
  } catch (err) {
    if (err instanceof CompositionError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  for (const hint of composed.hints) console.error(`hint: ${hint}`);
  let ok = sync(SUPERGRAPH_PATH, composed.supergraphSdl, check);
  for (const subgraph of SUBGRAPHS) ok = sync(subgraph.resolverTypesPath, await resolverTypes(subgraph), check) && ok;
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
