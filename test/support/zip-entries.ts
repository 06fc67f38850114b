import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
}

interface CentralEntry extends ZipEntry {
  method: number;
  localHeader: number;
}

/**
 * Reads a zip's central directory. Enough to check what a Lambda artifact contains, and to take a file out of
 * it, without depending on an unzip tool being installed on the CI machine.
 */
function centralDirectory(file: string): { zip: Buffer; entries: CentralEntry[] } {
  const zip = readFileSync(file);
  // The end-of-central-directory record sits at the end, after an optional comment of up to 64 KiB.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end-of-central-directory record)`);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: corrupt central directory at entry ${i}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      localHeader: zip.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return { zip, entries };
}

/** The entries of a zip file. */
export function zipEntries(file: string): ZipEntry[] {
  return centralDirectory(file).entries.map(({ name, size, compressedSize }) => ({ name, size, compressedSize }));
}

/** The bytes of one entry (stored or deflated, the two methods zip tools write). */
export function zipEntryContent(file: string, name: string): Buffer {
  const { zip, entries } = centralDirectory(file);
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new Error(`${file} has no entry ${name}`);
  // The local header repeats the name and has its own extra field before the data.
  const start = entry.localHeader + 30 + zip.readUInt16LE(entry.localHeader + 26) + zip.readUInt16LE(entry.localHeader + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`${file}: ${name} uses compression method ${entry.method}`);
}
