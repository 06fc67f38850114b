/**
 * The record kernel: Kinesis limits and record bounds (limits.ts), text and key rules (text.ts), the one CSV
 * line parser (csv.ts), event-time parser (time.ts), concatenated-JSON scanner (json.ts), field rules
 * (fields.ts), routing to detectors (route.ts), InputRecord/Reject and the one-reject-per-record builder
 * (reject.ts), and the record-level contract that ties them together (read.ts). Pure: no AWS imports.
 */
export * from './limits';
export * from './text';
export * from './csv';
export * from './time';
export * from './json';
export * from './fields';
export * from './route';
export * from './reject';
export * from './read';
export { decodeBase64, parseCsvLine, parseJsonObjects } from './decode';
