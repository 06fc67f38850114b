import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchReport } from './types';

/**
 * `npm run bench [-- name…]`: runs every bench/*.bench.ts (or those whose name contains an argument),
 * prints each report and writes them all to bench/results/latest.json and latest.md. A filtered run replaces only
 * its own reports there and keeps the others, so one bench can be re-measured without rerunning all of them.
 */
async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const dir = resolve(__dirname);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  const reports: BenchReport[] = [];
  for (const file of files) {
    const started = Date.now();
    console.log(`\n▶ ${file}`);
    // require, not import(): tsx's CommonJS hook (bin/run-ts.js) handles .ts through require only.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, file)) as { default: () => Promise<BenchReport> };
    const report = await mod.default();
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    reports.push(report);
    printReport(report);
  }
  const out = join(dir, 'results');
  mkdirSync(out, { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length };
  const all = filters.length === 0 ? reports : mergeWithPrevious(join(out, 'latest.json'), reports);
  writeFileSync(join(out, 'latest.json'), JSON.stringify({ ...meta, reports: all }, null, 2) + '\n');
  writeFileSync(join(out, 'latest.md'), toMarkdown(meta, all));
  const missed = reports.flatMap((r) => (r.targets ?? []).filter((t) => !t.met).map((t) => `${r.name}: ${t.name}`));
  console.log(`\nWrote bench/results/latest.json and latest.md. Targets missed: ${missed.length ? missed.join('; ') : 'none'}`);
}

/** The previous run's reports with these ones put in place of (or beside) the reports of the same name. */
function mergeWithPrevious(file: string, fresh: BenchReport[]): BenchReport[] {
  if (!existsSync(file)) return fresh;
  const previous = (JSON.parse(readFileSync(file, 'utf8')) as { reports?: BenchReport[] }).reports ?? [];
  const byName = new Map(fresh.map((r) => [r.name, r]));
  const merged = previous.map((r) => byName.get(r.name) ?? r);
  const kept = new Set(previous.map((r) => r.name));
  return [...merged, ...fresh.filter((r) => !kept.has(r.name))];
}

function printReport(report: BenchReport): void {
  console.log(`■ ${report.name}`);
  for (const [k, v] of Object.entries(report.figures)) console.log(`  ${k}: ${v}`);
  for (const t of report.targets ?? []) console.log(`  ${t.met ? '✔' : '✘'} ${t.name}: ${t.value} (target ${t.target})`);
  if (report.table) console.table(report.table);
}

function toMarkdown(meta: Record<string, unknown>, reports: BenchReport[]): string {
  const lines = [`# Benchmarks`, ``, `${meta.date} · node ${meta.node} · ${meta.cpus} cores`, ``];
  for (const r of reports) {
    lines.push(`## ${r.name}`, '');
    for (const [k, v] of Object.entries(r.figures)) lines.push(`- ${k}: ${v}`);
    for (const t of r.targets ?? []) lines.push(`- ${t.met ? '✔' : '✘'} **${t.name}**: ${t.value} (target ${t.target})`);
    if (r.table?.length) {
      const cols = Object.keys(r.table[0]!);
      lines.push('', `| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`);
      for (const row of r.table) lines.push(`| ${cols.map((c) => String(row[c])).join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
