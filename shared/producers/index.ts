// Pure parts only (no AWS imports): local mode and the windows tuning script import this in-process.
export * from './scenarios';
export { seededRandom, type Random } from './random';
// Replay readers: fs streams only (S3 is in s3.ts, which imports the SDK).
export * from './replay';
