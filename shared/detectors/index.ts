/** The detectors file: schema, loader, validation messages, what the functions support. */
export * from './schema';
export * from './loader';
export * from './support';
export { DetectorsConfigError } from './errors';
