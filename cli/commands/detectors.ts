import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DetectorsConfigError, loadDetectorsFile } from '../../shared/detectors';

/** Validates a detectors file; returns the text to print. Throws DetectorsConfigError listing every problem. */
export function validateDetectors(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const windowSeconds = Number(env.WINDOW_SECONDS ?? 10);
  const threshold = Number(env.ANOMALY_THRESHOLD ?? 2);
  const detectors = loadDetectorsFile(file, {
    windowSeconds: Number.isInteger(windowSeconds) && windowSeconds > 0 ? windowSeconds : 10,
    threshold: threshold > 0 ? threshold : 2,
  });
  const lines = detectors.map((d) =>
    d.kind === 'rcf'
      ? `  ${d.name} (rcf, ${d.format}): key ${d.key}, ${d.windowSeconds} s windows${d.time ? ` by ${d.time.field}` : ' by arrival time'}, features ${d.features.join(', ')}, RCF(${d.rcf.numberOfTrees}, ${d.rcf.subSampleSize}, ${d.rcf.timeDecay}, ${d.rcf.shingleSize}), threshold ${d.threshold}${d.silentKeys ? `, silent keys for ${d.silentKeys.windows} windows` : ''}`
      : d.kind === 'records'
        ? `  ${d.name} (records, ${d.format}): features ${d.features.join(', ')}, ${d.key ? `one forest per ${d.key}` : 'one forest per shard'}, RCF(${d.rcf.numberOfTrees}, ${d.rcf.subSampleSize}, ${d.rcf.timeDecay}, ${d.rcf.shingleSize}), threshold ${d.threshold}, stores records scoring ${d.storeAbove ?? d.threshold} or more`
        : `  ${d.name} (hotspots, ${d.format}): columns ${d.columns.join(', ')}, ${d.windowSeconds} s windows, windowSize ${d.windowSize}, scanRadius ${d.scanRadius}, minPoints ${d.minPoints}, threshold ${d.threshold}`,
  );
  return `${file}: ${detectors.length} detector${detectors.length === 1 ? '' : 's'} valid\n${lines.join('\n')}`;
}

export function register(program: Command): void {
  const detectors = program.command('detectors').description('Work with the detectors file (detectors.yml)');
  detectors
    .command('validate')
    .description('Check a detectors file (default ./detectors.yml) and say what to fix; exits 1 when it is invalid')
    .argument('[file]', 'the detectors file', 'detectors.yml')
    .action((file: string) => {
      try {
        console.log(validateDetectors(resolve(file)));
      } catch (error) {
        if (error instanceof DetectorsConfigError) {
          console.error(error.message);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
