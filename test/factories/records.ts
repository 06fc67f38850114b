import type { FieldPlan, InputRecord, Selectable } from '../../shared/records';

/**
 * Records and detectors for the record kernel's tests: Kinesis input records from text or raw bytes (with
 * sequence numbers and arrival times that grow), and the two detector shapes the shipped detectors.yml uses
 * (a CSV toll detector keyed by station, a JSON wind detector keyed by location with a numeric field).
 */

export const ARRIVAL_MS = Date.parse('2026-03-01T12:00:00Z');

let sequence = 0;

/** An input record holding `data` (text as UTF-8, or exact bytes), arriving at `arrivalMs`. */
export function inputRecord(data: string | Uint8Array, arrivalMs = ARRIVAL_MS, partitionKey?: string): InputRecord {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return {
    data: bytes.toString('base64'),
    sequenceNumber: String(++sequence).padStart(20, '0'),
    arrivalMs,
    ...(partitionKey !== undefined ? { partitionKey } : {}),
  };
}

export interface TestDetector extends Selectable {
  key: string;
}

export const tollDetector: TestDetector = {
  name: 'toll',
  format: 'csv',
  csv: { columns: ['date', 'station', 'plate'], delimiter: ',' },
  key: 'station',
};
export const windDetector: TestDetector = { name: 'wind', format: 'json', key: 'location' };

export const tollPlan: FieldPlan<TestDetector> = { detector: tollDetector, key: 'station', time: { field: 'date' }, numbers: [] };
export const windPlan: FieldPlan<TestDetector> = {
  detector: windDetector,
  key: 'location',
  time: { field: 'timestamp', format: 'auto' },
  numbers: ['speed'],
};

export const PLANS = [tollPlan, windPlan];
export const defaultField = (d: TestDetector): string => d.key;

/** A wind record at `t` (ms). */
export const windText = (location: string, speed: number, t = ARRIVAL_MS - 1000): string =>
  JSON.stringify({ location, speed, timestamp: new Date(t).toISOString() });

/** A toll CSV line at `t` (ms). */
export const tollText = (station: string, plate: string, t = ARRIVAL_MS - 1000): string =>
  `${new Date(t).toISOString()},${station},${plate}`;
