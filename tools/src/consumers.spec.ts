import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
/** `npm run consumers -- …` as a process: exit code, stdout, stderr. */
const cli = (file: string, ...args: string[]) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools/src/consumers.ts'), ...args, '--file', file], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tools/tsconfig.lib.json') },
    encoding: 'utf8',
  });
  return { code: run.status, out: run.stdout.trim(), err: run.stderr.trim() };
};
const consumers = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { consumers: { id: string; scopes: string[]; limits: { perMinute: number } }[] }).consumers;

describe('npm run consumers -- update | remove', () => {
  it('changes scopes and limits, removes a consumer, and exits 2 with a message on a mistake', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'phoenix-consumers-')), 'consumers.json');
    expect(cli(file, 'add', '--id', 'portal', '--tenant', 'acme', '--scopes', 'bookings:read').code).toBe(0);
    expect(cli(file, 'add', '--id', 'ops', '--tenant', 'acme').code).toBe(0);

    const updated = cli(file, 'update', '--id', 'portal', '--scopes', 'bookings:read,audit:read', '--per-minute', '5');
    expect(updated).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^updated consumer portal: scopes bookings:read audit:read, 5\/min/),
    });
    expect(consumers(file).find((c) => c.id === 'portal')).toMatchObject({
      scopes: ['bookings:read', 'audit:read'],
      limits: { perMinute: 5 },
    });

    expect(cli(file, 'update', '--id', 'portal', '--scopes', 'root')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown scope\(s\) root/),
    });
    expect(cli(file, 'update', '--id', 'portal', '--tenant', 'globex')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/cannot move to another tenant/),
    });
    expect(cli(file, 'remove', '--id', 'nobody')).toMatchObject({ code: 2, err: 'consumers: no consumer nobody' });

    expect(cli(file, 'remove', '--id', 'portal')).toMatchObject({ code: 0, out: 'removed consumer portal and its 0 key(s)' });
    expect(consumers(file).map((c) => c.id)).toEqual(['ops']);
  }, 60_000);
});
