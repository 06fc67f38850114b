import { jsonFrames, ReplayFormatError } from '../../../shared/producers/replay/frames';
import { JsonScanner, parseConcatenatedJson, parseJsonObjects, type ScanEvent } from '../../../shared/records';

const all = (src: string | Uint8Array, objectsOnly = false): ScanEvent[] => {
  const s = new JsonScanner(objectsOnly);
  const out: ScanEvent[] = [];
  for (let ev = s.next(src); ev; ev = s.next(src)) out.push(ev);
  return out;
};

async function* chunks(text: string, size: number) {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('one concatenated-JSON scanner', () => {
  const text = '{"a":"}{\\"x"}{"b":[1,{"c":2}]}\n{"d":null}';

  it('finds the same objects and depths in text (stream records) and bytes (replayed files)', () => {
    const events = all(text);
    expect(events).toEqual([
      { kind: 'value', start: 0, end: 13, depth: 1 },
      { kind: 'value', start: 13, end: 30, depth: 3 },
      { kind: 'value', start: 31, end: 41, depth: 1 },
    ]);
    expect(all(Buffer.from(text))).toEqual(events);
  });

  it('frames a file across any chunking with the same scanner', async () => {
    for (const size of [1, 3, 100]) {
      const frames = [];
      for await (const f of jsonFrames(chunks(text, size))) frames.push(f.bytes.toString());
      expect(frames).toEqual(['{"a":"}{\\"x"}', '{"b":[1,{"c":2}]}', '{"d":null}']);
    }
  });

  it('still tells a replayed file that is not JSON objects where it stops being one', async () => {
    const read = async () => {
      for await (const f of jsonFrames(chunks('{"a":1}[1]', 4))) void f;
    };
    await expect(read()).rejects.toThrow(
      new ReplayFormatError('expected a JSON object at byte 7 but found "[": is this file CSV? (--format csv)', 7),
    );
  });

  it('refuses JSON nested 10,000 levels with a short reason and without overflowing the stack', () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const parsed = parseConcatenatedJson(deep);
    expect(parsed).toEqual({ ok: true, value: [{ ok: false, reason: 'object 0 nests deeper than 64 levels', source: deep }] });
    const arrays = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    expect(parseJsonObjects(arrays)).toEqual([{ ok: false, reason: 'object 0 nests deeper than 64 levels' }]);
  });

  it('refuses a record of more than 10,000 objects whole, before parsing any', () => {
    expect(parseConcatenatedJson('{}'.repeat(10_001))).toEqual({ ok: false, reason: 'record holds more than 10000 JSON objects' });
    expect(parseConcatenatedJson('{}'.repeat(10_000))).toMatchObject({ ok: true });
    expect(parseConcatenatedJson('{}'.repeat(512 * 1024))).toEqual({ ok: false, reason: 'record holds more than 10000 JSON objects' });
  });

  it('reads text between objects as one failure with a short quote', () => {
    const parsed = parseConcatenatedJson(`{"a":1} ${'x'.repeat(5000)} {"b":2}`);
    expect(parsed.ok && parsed.value.map((p) => (p.ok ? p.value : p.reason))).toEqual([
      { a: 1 },
      `text between JSON objects is not JSON: "${'x'.repeat(60)}…"`,
      { b: 2 },
    ]);
  });

  it('skips a byte-order mark before the first object in text and bytes', () => {
    expect(parseJsonObjects('\uFEFF{"a":1}')).toEqual([{ ok: true, value: { a: 1 } }]);
    expect(all(Buffer.from('\uFEFF{"a":1}'), true)).toEqual([{ kind: 'value', start: 3, end: 10, depth: 1 }]);
  });
});
