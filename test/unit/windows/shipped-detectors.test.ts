import { resolve } from 'node:path';
import { hotspotsDetectors, loadDetectorsFile, rcfDetectors } from '../../../shared/detectors';
import { scenarios, type ScenarioName } from '../../../shared/producers/scenarios';
import { aggregateRecords, compileDetector, emptyState, type InputRecord } from '../../../shared/windows/aggregate';

// The shipped detectors.yml must take, without a single reject, what the shipped producer scenarios send:
// each scenario's records are read by the windows function, and the players records by the hotspots one.
const detectors = loadDetectorsFile(resolve(__dirname, '../../../detectors.yml'));
const compiled = rcfDetectors(detectors).map(compileDetector);
const others = hotspotsDetectors(detectors);

function windowsRejects(name: ScenarioName) {
  const records: InputRecord[] = [];
  let seq = 0;
  for (const r of scenarios[name].generate({ seed: 3, start: Date.parse('2026-01-01T00:00:00Z'), duration: 30 })) {
    records.push({
      data: Buffer.from(r.data).toString('base64'),
      sequenceNumber: String(++seq),
      partitionKey: r.partitionKey,
      arrivalMs: r.eventTime.getTime(),
    });
  }
  const state = emptyState();
  return { records: records.length, rejects: aggregateRecords(state, records, compiled, others), state };
}

describe('the shipped detectors and the shipped scenarios', () => {
  it.each(['toll', 'wind', 'clicks'] as const)('windows takes every %s record with no reject', (name) => {
    const { records, rejects, state } = windowsRejects(name);
    expect(records).toBeGreaterThan(0);
    expect(rejects).toEqual([]);
    expect(Object.keys(state.w).length).toBeGreaterThan(0);
  });

  it('windows leaves the players records to the hotspots detector instead of rejecting them', () => {
    const { records, rejects } = windowsRejects('players');
    expect(records).toBeGreaterThan(0);
    expect(rejects).toEqual([]);
  });
});
