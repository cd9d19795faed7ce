/**
 * `npm run compose`: writes the supergraph the gateway loads (apps/gateway/src/supergraph.graphql)
 * from the subgraphs' SDL files. `--check` only compares, and fails when the checked-in
 * file is stale — CI runs the same comparison as a unit test.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph, CompositionError } from './federation/compose';
import { SUPERGRAPH_PATH, WORKSPACE_ROOT } from './federation/subgraphs';

function main(): number {
  const check = process.argv.includes('--check');
  const target = join(WORKSPACE_ROOT, SUPERGRAPH_PATH);
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
  const current = (() => {
    try {
      return readFileSync(target, 'utf8');
    } catch {
      return null;
    }
  })();
  if (check) {
    if (current === composed.supergraphSdl) {
      console.log(`${SUPERGRAPH_PATH} is up to date`);
      return 0;
    }
    console.error(`${SUPERGRAPH_PATH} is stale: run npm run compose and commit the result`);
    return 1;
  }
  if (current === composed.supergraphSdl) {
    console.log(`${SUPERGRAPH_PATH} unchanged`);
    return 0;
  }
  writeFileSync(target, composed.supergraphSdl);
  console.log(`wrote ${SUPERGRAPH_PATH}`);
  return 0;
}

process.exit(main());
