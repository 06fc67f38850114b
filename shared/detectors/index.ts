export * from './schema';
export * from './loader';
export { DetectorsConfigError } from './errors';
