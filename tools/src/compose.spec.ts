import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { ALL_SCOPES } from '@phoenix/domain';
import { declaredScopes } from '@phoenix/service';
import { composeSupergraph, CompositionError } from './federation/compose';
import { SUBGRAPHS, SUPERGRAPH_PATH, WORKSPACE_ROOT } from './federation/subgraphs';

describe('supergraph composition', () => {
  it('composes without errors or hints, and the checked-in supergraph is up to date (run npm run compose if not)', () => {
    const { supergraphSdl, hints } = composeSupergraph();
    expect(hints).toEqual([]);
    expect(readFileSync(join(WORKSPACE_ROOT, SUPERGRAPH_PATH), 'utf8')).toBe(supergraphSdl);
  });

  it('the checked-in resolver types of every subgraph are up to date (run npm run compose if not)', () => {
    // In a child process, as `npm run compose -- --check`: graphql-codegen and prettier
    // load ES modules, which jest's module loader cannot on Node 22.
    const run = spawnSync(
      process.execPath,
      [join(WORKSPACE_ROOT, 'node_modules/tsx/dist/cli.mjs'), '--tsconfig', 'tools/tsconfig.lib.json', 'tools/src/compose.ts', '--check'],
      { cwd: WORKSPACE_ROOT, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    for (const subgraph of SUBGRAPHS) expect(run.stdout).toContain(`${subgraph.resolverTypesPath} is up to date`);
    expect(run.status).toBe(0);
  }, 60_000);

  it('names the code and the element when composition fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    const [bookings, audit] = SUBGRAPHS as [(typeof SUBGRAPHS)[0], (typeof SUBGRAPHS)[0]];
    // Defining a shared value type in a second subgraph without @shareable is the classic mistake.
    const broken = readFileSync(join(WORKSPACE_ROOT, audit.sdlPath), 'utf8').replace('type PageInfo @shareable {', 'type PageInfo {');
    writeFileSync(join(dir, 'audit.graphql'), broken);
    let error: unknown;
    try {
      composeSupergraph(
        [
          { ...bookings, sdlPath: join(WORKSPACE_ROOT, bookings.sdlPath) },
          { ...audit, sdlPath: join(dir, 'audit.graphql') },
        ],
        {
          root: '/',
        },
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CompositionError);
    expect((error as CompositionError).problems.join('\n')).toMatch(/INVALID_FIELD_SHARING.*PageInfo/);
  });

  it('keeps every @scope in the supergraph, names only known scopes, and guards every root field', () => {
    const document = parse(composeSupergraph().supergraphSdl);
    const scopes = declaredScopes(document);
    expect([...new Set(scopes.values())].filter((s) => !(ALL_SCOPES as readonly string[]).includes(s))).toEqual([]);
    const query = document.definitions.find((d) => d.kind === 'ObjectTypeDefinition' && d.name.value === 'Query');
    const rootFields = (query as unknown as { fields: { name: { value: string } }[] }).fields.map((f) => f.name.value);
    expect(rootFields.filter((f) => !scopes.has(`Query.${f}`))).toEqual([]);
    expect(scopes.get('Member.email')).toBe('people:read');
    expect(scopes.get('DeskBooking.history')).toBe('audit:read');
  });
});
