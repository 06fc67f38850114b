/**
 * Decode + aggregate of one 10,000-record batch with the shipped detectors, as the windows function does it per
 * invoke. windows.bench.ts bundles this file the way serverless-esbuild bundles the function and runs it in fresh
 * processes, so the figure is that of the code Lambda runs. Prints the median records/s of the timed rounds.
 * Usage (bundled): node windows-throughput.js <detectors.yml>
 */
import { loadDetectorsFile, rcfDetectors } from '../shared/detectors';
import { aggregateRecords, compileDetector, emptyState, type InputRecord } from '../shared/windows';

/** A batch like the seeds produce: toll CSV lines and wind JSON, one Kinesis record each. */
export function batch(n: number, t0: number): InputRecord[] {
  const stations = ['183A', 'SH130', 'TX45', 'TX290', 'Exit79', 'Exit29', 'Exit620', 'Exit66', '35North', '35South'];
  return Array.from({ length: n }, (_, i) => {
    const t = t0 + i * 7;
    const text =
      i % 2 === 0
        ? `${new Date(t).toISOString()},${stations[i % 10]},PLATE${i % 97}`
        : JSON.stringify({ location: `farm-${i % 20}`, speed: 5 + (i % 13) * 0.7, timestamp: new Date(t).toISOString() });
    return { data: Buffer.from(text).toString('base64'), sequenceNumber: String(1e20 + i), arrivalMs: t };
  });
}

export function measure(detectorsFile: string, rounds = 12, warmup = 2): number {
  const compiled = rcfDetectors(loadDetectorsFile(detectorsFile)).map(compileDetector);
  const records = batch(10_000, Date.parse('2026-01-01T00:00:00Z'));
  const rates: number[] = [];
  for (let round = 0; round < rounds + warmup; round++) {
    const state = emptyState();
    const started = process.hrtime.bigint();
    const rejects = aggregateRecords(state, records, compiled);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (rejects.length) throw new Error(`bench batch has rejects: ${rejects[0]!.reason}`);
    // JSON round trip of the state is part of every invoke's cost (Lambda carries it).
    JSON.parse(JSON.stringify(state));
    if (round >= warmup) rates.push(records.length / seconds);
  }
  return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
}

if (require.main === module) process.stdout.write(String(Math.round(measure(process.argv[2]!))));
