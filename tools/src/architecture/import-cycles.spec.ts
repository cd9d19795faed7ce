import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findImportCycles } from './import-cycles';

const root = join(__dirname, '..', '..', '..');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('import cycles', () => {
  it('finds none in the apps, libraries and tools', () => {
    expect(findImportCycles(root, ['apps', 'libs', 'tools'])).toEqual([]);
  });

  it('finds a cycle through a type-only import and an index file', () => {
    const dir = tree({
      'lib/a.ts': "import type { B } from './b';\nexport type A = B;",
      'lib/b.ts': "import { c } from './c';\nexport type B = string;\nexport const b = c;",
      'lib/c/index.ts': "import { a } from '../a';\nexport const c = 1;",
      'lib/d.ts': "import { b } from './b';\nexport const d = b;",
    });
    expect(findImportCycles(dir, ['lib'])).toEqual([['lib/a.ts', 'lib/b.ts', 'lib/c/index.ts']]);
  });

  it('finds a module that imports itself, and nothing in an acyclic tree', () => {
    expect(findImportCycles(tree({ 'x/self.ts': "import './self';" }), ['x'])).toEqual([['x/self.ts']]);
    expect(findImportCycles(tree({ 'y/a.ts': "import './b';", 'y/b.ts': 'export {};' }), ['y'])).toEqual([]);
  });
});
