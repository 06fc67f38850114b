export * from './schema';
export * from './loader';
export * from './support';
export { DetectorsConfigError } from './errors';
