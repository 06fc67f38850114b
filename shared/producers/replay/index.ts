export { jsonFrames, lineFrames, ReplayFormatError, type Frame } from './frames';
export {
  csvHeader,
  detectFormat,
  KEY_FIELDS,
  parseEventTime,
  readReplayRecords,
  splitCsv,
  TIME_FIELDS,
  type ReplayFormat,
  type ReplayReadOptions,
  type ReplayRecord,
} from './records';
export { fileKey, readReplayFile, replayFiles, type FileReplayRecord } from './files';
