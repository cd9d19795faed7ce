import type { ImportCounts } from './checkpoint';
import type { ImportProgress, ImportResult } from './import';
import type { RedriveProgress, RedriveSummary } from './redrive';

const numberFormat = new Intl.NumberFormat('en-US');

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return numberFormat.format(Math.round(n));
}

/** Milliseconds as "850ms", "12.4s", "3m 05s" or "1h 02m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function rate(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/**
 * One progress line, e.g. `import: 120,000 lines read · 114,000 published · 6,000
 * rejected · 41,200 lines/s · 12.0% · ETA 1m 13s`. The percentage and ETA count
 * bytes, so they stay honest when line lengths vary; the ETA is projected from this
 * run's byte rate.
 */
export function formatImportProgress(p: ImportProgress): string {
  const done = p.fileSize > 0 ? (p.bytesRead / p.fileSize) * 100 : 100;
  const bytesPerMs = p.elapsedMs > 0 ? (p.bytesRead - p.startOffset) / p.elapsedMs : 0;
  const remaining = p.fileSize - p.bytesRead;
  const eta = remaining <= 0 ? 'done' : bytesPerMs > 0 ? `ETA ${formatDuration(remaining / bytesPerMs)}` : 'ETA ?';
  return [
    `import: ${formatCount(p.linesRead)} lines read`,
    `${formatCount(p.published)} published`,
    `${formatCount(p.rejected)} rejected`,
    `${formatCount(rate(p.linesRead, p.elapsedMs))} lines/s`,
    `${done.toFixed(1)}%`,
    eta,
  ].join(' · ');
}

function reasons(byReason: Readonly<Record<string, number>>): string {
  const entries = Object.entries(byReason).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([reason, n]) => `${reason} ${formatCount(n)}`).join(', ');
}

function countsLine(c: ImportCounts): string {
  return `${formatCount(c.published)} published, ${formatCount(c.rejected)} rejected, ${formatCount(c.lines)} lines (${formatCount(c.skipped)} blank or header)`;
}

/** The human summary of an import, printed on stdout. */
export function formatImportSummary(r: ImportResult): string {
  const row = (label: string, value: string) => `  ${`${label}:`.padEnd(12)}${value}`;
  const status =
    r.status === 'complete'
      ? 'complete'
      : r.status === 'already-complete'
        ? 'already complete (nothing published; --restart imports the file again)'
        : `interrupted after line ${formatCount(r.lastLine)}; run the same command again to resume`;
  const lines = [
    `import ${status}`,
    row('file', `${r.file} (${r.format})`),
    row('topic', r.topic),
    row('this run', `${countsLine(r.run)} in ${formatDuration(r.durationMs)} (${formatCount(rate(r.run.lines, r.durationMs))} lines/s)`),
  ];
  if (r.resumedAfterLine !== null) lines.push(row('resumed', `after line ${formatCount(r.resumedAfterLine)}`));
  lines.push(row('all runs', countsLine(r.total)));
  lines.push(row('by reason', reasons(r.total.rejectedByReason)));
  if (r.total.rejected > 0) lines.push(row('rejects', r.rejectsFile));
  lines.push(row('checkpoint', r.checkpointFile));
  return `${lines.join('\n')}\n`;
}

/** One redrive progress line. */
export function formatRedriveProgress(p: RedriveProgress): string {
  return [
    `redrive: ${formatCount(p.examined)} examined`,
    `${formatCount(p.matched)} matched`,
    `${formatCount(p.redriven)} ${p.dryRun ? 'would be redriven' : 'redriven'}`,
    `${formatCount(p.stillInvalid)} still invalid`,
  ].join(' · ');
}

/** The human summary of a redrive, printed on stdout. */
export function formatRedriveSummary(s: RedriveSummary): string {
  const row = (label: string, value: string) => `  ${`${label}:`.padEnd(19)}${value}`;
  const lines = [
    `redrive ${s.status === 'complete' ? 'complete' : 'interrupted; the letters after this point were not examined'}${s.dryRun ? ' (dry run: nothing published)' : ''}`,
    row('dead-letter topic', s.deadLetterTopic),
    row('examined', formatCount(s.examined)),
    row('matched filter', formatCount(s.matched)),
    row(
      s.dryRun ? 'would be redriven' : 'redriven',
      `${formatCount(s.redriven)}${s.redriven > 0 ? ` (${reasons(s.redrivenByTopic)})` : ''}`,
    ),
    row('still invalid', `${formatCount(s.stillInvalid)} (${reasons(s.stillInvalidByReason)}), left on the dead-letter topic`),
  ];
  if (s.noDestination > 0) lines.push(row('no destination', `${formatCount(s.noDestination)} (no source-topic header: pass --to)`));
  if (Object.keys(s.missingTopics).length > 0)
    lines.push(row('topic missing', `${reasons(s.missingTopics)}: create the topic and run again`));
  if (s.stubsResolved > 0 || s.stubsMissing > 0)
    lines.push(
      row(
        'stubs',
        `${formatCount(s.stubsResolved)} read from dead_letters${s.stubsMissing > 0 ? `, ${formatCount(s.stubsMissing)} without a matching row (left alone)` : ''}`,
      ),
    );
  if (s.copiesSkipped > 0) lines.push(row('copies skipped', `${formatCount(s.copiesSkipped)} (same source position as a letter handled)`));
  if (s.notMarked > 0)
    lines.push(
      row(
        'not marked',
        `${formatCount(s.notMarked)} re-driven letter(s) without redriven_at in dead_letters (${s.markError ?? 'no row for them in this dataset'}); the letters went out`,
      ),
    );
  lines.push(row('took', formatDuration(s.durationMs)));
  return `${lines.join('\n')}\n`;
}
