import { emptyCounts } from './checkpoint';
import type { ImportResult } from './import';
import { formatDuration, formatImportProgress, formatImportSummary, formatRedriveSummary } from './progress';

describe('progress and summaries', () => {
  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_400)).toBe('12.4s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });

  it('shows lines, outcomes, rate, share of bytes and an ETA from this run’s byte rate', () => {
    const line = formatImportProgress({
      linesRead: 20_000,
      published: 19_000,
      rejected: 1_000,
      bytesRead: 3_000_000,
      startOffset: 1_000_000,
      fileSize: 10_000_000,
      elapsedMs: 2_000,
    });
    // 2 MB in 2 s leaves 7 MB: 7 s.
    expect(line).toBe('import: 20,000 lines read · 19,000 published · 1,000 rejected · 10,000 lines/s · 30.0% · ETA 7.0s');
    expect(
      formatImportProgress({ linesRead: 1, published: 1, rejected: 0, bytesRead: 9, startOffset: 0, fileSize: 9, elapsedMs: 5 }),
    ).toMatch(/100\.0% · done$/);
  });

  it('summarises an interrupted import with how to resume, and rejects by reason', () => {
    const result: ImportResult = {
      status: 'interrupted',
      file: '/data/export.ndjson',
      topic: 'phoenix.backfill',
      format: 'ndjson',
      resumedAfterLine: null,
      lastLine: 1500,
      run: { ...emptyCounts(), lines: 1500, published: 1490, rejected: 10, rejectedByReason: { MISSING_TENANT: 3, MALFORMED_JSON: 7 } },
      total: { ...emptyCounts(), lines: 1500, published: 1490, rejected: 10, rejectedByReason: { MISSING_TENANT: 3, MALFORMED_JSON: 7 } },
      durationMs: 1500,
      checkpointFile: '/state/cp.json',
      rejectsFile: '/state/rejects.ndjson',
    };
    const text = formatImportSummary(result);
    expect(text).toMatch(/^import interrupted after line 1,500; run the same command again to resume/);
    expect(text).toMatch(/this run: +1,490 published, 10 rejected, 1,500 lines .* in 1.5s \(1,000 lines\/s\)/);
    expect(text).toMatch(/by reason: +MALFORMED_JSON 7, MISSING_TENANT 3/);
    expect(text).toMatch(/rejects: +\/state\/rejects.ndjson/);
  });

  it('summarises a dry-run redrive without claiming anything was published', () => {
    const text = formatRedriveSummary({
      status: 'complete',
      deadLetterTopic: 'phoenix.deadletter',
      examined: 10,
      matched: 4,
      redriven: 3,
      stillInvalid: 1,
      dryRun: true,
      redrivenByTopic: { 'phoenix.events': 3 },
      stillInvalidByReason: { MALFORMED_JSON: 1 },
      noDestination: 0,
      missingTopics: {},
      marked: 0,
      notMarked: 0,
      markRetries: 0,
      stubsResolved: 0,
      stubsMissing: 0,
      copiesSkipped: 0,
      durationMs: 20,
    });
    expect(text).toMatch(/dry run: nothing published/);
    expect(text).not.toMatch(/not marked/);
    expect(text).toMatch(/would be redriven: +3 \(phoenix.events 3\)/);
    expect(text).toMatch(/still invalid: +1 \(MALFORMED_JSON 1\), left on the dead-letter topic/);
  });

  it('says when re-driven letters could not be marked in the warehouse, and that they went out anyway', () => {
    const text = formatRedriveSummary({
      status: 'complete',
      deadLetterTopic: 'phoenix.deadletter',
      examined: 2,
      matched: 2,
      redriven: 2,
      stillInvalid: 0,
      dryRun: false,
      redrivenByTopic: { 'phoenix.events': 2 },
      stillInvalidByReason: {},
      noDestination: 0,
      missingTopics: {},
      marked: 0,
      notMarked: 2,
      markRetries: 0,
      stubsResolved: 1,
      stubsMissing: 1,
      copiesSkipped: 3,
      markError: 'Not found: Dataset phoenix',
      durationMs: 20,
    });
    expect(text).toMatch(
      /stubs: +1 read from dead_letters, 1 without a matching row \(left alone\)\n {2}copies skipped: +3 \(same source position/,
    );
    expect(text).toMatch(
      /not marked: +2 re-driven letter\(s\) without redriven_at in dead_letters \(Not found: Dataset phoenix\); the letters went out/,
    );
  });
});
