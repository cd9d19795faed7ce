import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addCounts,
  decideResume,
  emptyCounts,
  importStatePaths,
  loadCheckpoint,
  saveCheckpoint,
  type ImportCheckpoint,
} from './checkpoint';

const checkpoint = (over: Partial<ImportCheckpoint> = {}): ImportCheckpoint => ({
  version: 1,
  file: '/data/export.ndjson',
  size: 1000,
  mtimeMs: 1767600000000.5,
  topic: 'phoenix.backfill',
  format: 'ndjson',
  line: 40,
  offset: 400,
  totals: { lines: 40, published: 38, rejected: 2, rejectedByReason: { MALFORMED_JSON: 2 }, skipped: 0 },
  rejectsFile: '/state/x.rejects.ndjson',
  rejectsBytes: 120,
  complete: false,
  startedAt: '2026-01-05T09:00:00.000Z',
  updatedAt: '2026-01-05T09:00:01.000Z',
  ...over,
});

describe('import checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-checkpoint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names state files by file and topic, readable and distinct per topic', () => {
    const a = importStatePaths('/state', '/data/export 2026.ndjson', 'phoenix.backfill');
    const b = importStatePaths('/state', '/data/export 2026.ndjson', 'other.topic');
    expect(a.checkpoint).toMatch(/^\/state\/export_2026\.ndjson-[0-9a-f]{12}\.checkpoint\.json$/);
    expect(a.rejects).toBe(a.checkpoint.replace('.checkpoint.json', '.rejects.ndjson'));
    expect(b.checkpoint).not.toBe(a.checkpoint);
    expect(importStatePaths('/state', '/data/export 2026.ndjson', 'phoenix.backfill')).toEqual(a);
  });

  it('round-trips through the file, and tells an absent file from an unreadable one', async () => {
    const path = join(dir, 'cp.json');
    expect(await loadCheckpoint(path)).toBe('absent');
    await saveCheckpoint(path, checkpoint());
    expect(await loadCheckpoint(path)).toEqual(checkpoint());
    writeFileSync(path, '{"version":1,"file":');
    expect(await loadCheckpoint(path)).toBe('corrupt');
    writeFileSync(path, JSON.stringify({ ...checkpoint(), line: -1 }));
    expect(await loadCheckpoint(path)).toBe('corrupt');
  });

  describe('decideResume', () => {
    const same = { size: 1000, mtimeMs: 1767600000000.5, format: 'ndjson' as const };

    it('resumes the same file after the checkpoint line, and says so', () => {
      expect(decideResume(checkpoint(), same, false)).toEqual({
        action: 'resume',
        checkpoint: checkpoint(),
        notice: 'resuming after line 40 (38 published, 2 rejected so far)',
      });
    });

    it('starts over when there is no usable checkpoint or --restart is given', () => {
      expect(decideResume('absent', same, false)).toEqual({ action: 'start' });
      expect(decideResume('corrupt', same, false)).toMatchObject({ action: 'start', notice: expect.stringMatching(/unreadable/) });
      expect(decideResume(checkpoint(), same, true)).toMatchObject({ action: 'start', notice: expect.stringMatching(/--restart/) });
    });

    it('starts over with a warning when the file changed size or modification time', () => {
      expect(decideResume(checkpoint(), { ...same, size: 1001 }, false)).toMatchObject({
        action: 'start',
        notice: expect.stringMatching(/^warning: the file changed/),
      });
      expect(decideResume(checkpoint(), { ...same, mtimeMs: same.mtimeMs + 1 }, false)).toMatchObject({ action: 'start' });
    });

    it('starts over when the file is now read in another format', () => {
      expect(decideResume(checkpoint(), { ...same, format: 'csv' }, false)).toMatchObject({ action: 'start' });
    });

    it('does nothing for a file already imported completely', () => {
      expect(decideResume(checkpoint({ complete: true }), same, false)).toMatchObject({
        action: 'done',
        notice: expect.stringMatching(/already imported completely.*--restart/),
      });
    });
  });

  it('adds counts, reasons included', () => {
    const a = { ...emptyCounts(), lines: 3, published: 2, rejected: 1, rejectedByReason: { MALFORMED_JSON: 1 } };
    const b = { ...emptyCounts(), lines: 2, rejected: 2, skipped: 0, rejectedByReason: { MALFORMED_JSON: 1, MISSING_TENANT: 1 } };
    expect(addCounts(a, b)).toEqual({
      lines: 5,
      published: 2,
      rejected: 3,
      skipped: 0,
      rejectedByReason: { MALFORMED_JSON: 2, MISSING_TENANT: 1 },
    });
  });
});
