/**
 * Detector YAML for tests: the toll detector (csv date,station,plate keyed by station, 10-s count windows) that many
 * suites share. Each suite passes its own forest, threshold and silentKeys because they differ on purpose.
 */

export interface TollOptions {
  rcf: { numberOfTrees: number; subSampleSize: number; timeDecay: number };
  threshold?: number;
  silentKeysWindows?: number;
}

/** The toll detector as one `detectors:` list item (indented for that list), to combine with other items. */
export const tollDetectorItem = ({ rcf, threshold, silentKeysWindows }: TollOptions): string =>
  [
    '  - name: toll',
    '    format: csv',
    '    csv: { columns: [date, station, plate] }',
    '    key: station',
    '    time: date',
    '    windowSeconds: 10',
    '    aggregates: [count]',
    ...(silentKeysWindows === undefined ? [] : [`    silentKeys: { windows: ${silentKeysWindows} }`]),
    `    rcf: { numberOfTrees: ${rcf.numberOfTrees}, subSampleSize: ${rcf.subSampleSize}, timeDecay: ${rcf.timeDecay} }`,
    ...(threshold === undefined ? [] : [`    threshold: ${threshold}`]),
  ].join('\n');

/** A whole detectors document holding only the toll detector. */
export const tollDetectorYaml = (options: TollOptions): string => `\ndetectors:\n${tollDetectorItem(options)}\n`;

/**
 * The players hotspots detector (json latitude/longitude, 10-s windows of 300 points, 15 within 0.0005) as one
 * `detectors:` list item; suites that need other DBSCAN parameters write their own.
 */
export const PLAYERS_HOTSPOTS_ITEM = [
  '  - name: players',
  '    kind: hotspots',
  '    format: json',
  '    columns: [latitude, longitude]',
  '    time: timestamp',
  '    windowSeconds: 10',
  '    windowSize: 300',
  '    scanRadius: 0.0005',
  '    minPoints: 15',
  '    threshold: 20',
].join('\n');
