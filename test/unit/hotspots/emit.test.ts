import { parseDetectors } from '../../../shared/detectors';
import {
  emitHotspots,
  hotspotsDetectors,
  HotspotsWindow,
  type CarriedWindow,
  type HotspotsState,
  type HotspotsStore,
  type HotspotsWindowWrite,
} from '../../../shared/hotspots';

/** The hotspots service over an in-memory store: what it writes per window and carries between tumbling windows. */

const [players] = hotspotsDetectors(
  parseDetectors(
    `
detectors:
  - name: players
    kind: hotspots
    format: json
    columns: [x, y]
    windowSeconds: 10
    windowSize: 50
    scanRadius: 1
    minPoints: 5
    threshold: 2
`,
    'emit test',
  ),
);
const options = { windowSize: 50, scanRadius: 1, minPoints: 5, dimensions: 2 };
const T0 = Date.parse('2026-05-01T09:00:00Z');

class MemoryHotspotsStore implements HotspotsStore {
  readonly windows: HotspotsWindowWrite[] = [];
  readonly carried = new Map<string, CarriedWindow>();
  async writeWindow(w: HotspotsWindowWrite) {
    if (this.windows.some((x) => x.emissionId === w.emissionId && x.startMs === w.startMs)) return 'duplicate' as const;
    this.windows.push(w);
    return 'written' as const;
  }
  async loadCarried(detector: string, shardId: string) {
    return this.carried.get(`${detector}|${shardId}`);
  }
  async saveCarried(detector: string, shardId: string, carried: Omit<CarriedWindow, 'version'>, expectedVersion: number) {
    const key = `${detector}|${shardId}`;
    if ((this.carried.get(key)?.version ?? 0) !== expectedVersion) throw new Error('conflict');
    this.carried.set(key, { ...carried, version: expectedVersion + 1 });
  }
}

/** A crowd of 8 points around (5, 5) in the first event-time window, 4 scattered ones in the next. */
function state(id: string): HotspotsState {
  const crowd = Array.from({ length: 8 }, (_, i) => [5 + (i % 3) * 0.1, 5 + Math.floor(i / 3) * 0.1]);
  const scattered = [
    [0, 0],
    [20, 20],
    [40, 0],
    [0, 40],
  ];
  return {
    v: 1,
    id,
    d: {
      players: {
        runs: [
          [T0, crowd.length],
          [T0 + 10_000, scattered.length],
        ],
        p: [...crowd, ...scattered].flat(),
      },
    },
  };
}

describe('the hotspots service', () => {
  it('writes each event-time window with the hotspots as the sliding window stood after its last point, and carries the window on', async () => {
    const store = new MemoryHotspotsStore();
    const stats = await emitHotspots({
      state: state('s:1'),
      detectors: [players!],
      shardId: 's',
      emissionId: 's:1',
      store,
      maxHotspots: 10,
    });
    expect(stats).toEqual({ windowsWritten: 2, hotspots: 2, latePoints: 0 });
    expect(store.windows.map((w) => [w.startMs, w.points, w.hotspots.length])).toEqual([
      [T0, 8, 1],
      [T0 + 10_000, 4, 1],
    ]);
    expect(store.windows[0]!.hotspots[0]!.count).toBe(8);
    const carried = store.carried.get('players|s')!;
    expect(HotspotsWindow.fromBytes(options, carried.points).size).toBe(12);
    expect(carried).toMatchObject({ lastEmission: 's:1', lastWindowMs: T0 + 10_000, columns: ['x', 'y'], version: 1 });
  });

  it('does nothing when the carried window already holds this emission (a retried final invoke)', async () => {
    const store = new MemoryHotspotsStore();
    await emitHotspots({ state: state('s:1'), detectors: [players!], shardId: 's', emissionId: 's:1', store, maxHotspots: 10 });
    const again = await emitHotspots({
      state: state('s:1'),
      detectors: [players!],
      shardId: 's',
      emissionId: 's:1',
      store,
      maxHotspots: 10,
    });
    expect(again).toEqual({ windowsWritten: 0, hotspots: 0, latePoints: 0 });
    expect(store.windows).toHaveLength(2);
    expect(store.carried.get('players|s')!.version).toBe(1);
  });

  it('starts a new sliding window when the detector’s columns changed, and says so', async () => {
    const store = new MemoryHotspotsStore();
    const old = new HotspotsWindow(options);
    old.push([100, 100]);
    store.carried.set('players|s', { points: old.toBytes(), version: 4, columns: ['lat', 'long'] });
    const lines: Array<[string, Record<string, unknown>]> = [];
    const logger = { info: (m: string, e?: Record<string, unknown>) => void lines.push([m, e ?? {}]), warn: () => undefined };
    await emitHotspots({ state: state('s:2'), detectors: [players!], shardId: 's', emissionId: 's:2', store, maxHotspots: 10, logger });
    expect(lines).toEqual([
      ['detector columns changed; starting a new hotspots window', expect.objectContaining({ was: ['lat', 'long'], now: ['x', 'y'] })],
    ]);
    expect(HotspotsWindow.fromBytes(options, store.carried.get('players|s')!.points).size).toBe(12);
    expect(store.carried.get('players|s')!.version).toBe(5);
  });
});
