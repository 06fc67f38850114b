// The replay readers (pure: fs streams and bytes only, no SDK): framing, formats, gzip, files and a reader from an offset.
export { jsonFrames, lineFrames, ReplayFormatError, type Frame } from './frames';
export {
  csvHeader,
  detectFormat,
  detectFormatFromHead,
  isKeptReject,
  KEPT_DATA_LIMIT,
  KEY_FIELDS,
  parseEventTime,
  readReplayRecords,
  REPLAY_FORMATS,
  resumeReadOptions,
  seenRejectsIn,
  splitCsv,
  TIME_FIELDS,
  type ReplayFormat,
  type ReplayReadOptions,
  type ReplayRecord,
  type ReplaySkip,
} from './records';
export { decodeChunks, firstBytes, isGzip, skipBytes, type DecodedChunks, type Skipped } from './gzip';
export { fileKey, readReplayFile, replayFiles, type FileReplayRecord } from './files';
export { openReplaySource, type ByteSource, type OpenedRecords } from './source';
