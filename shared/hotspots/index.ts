export * from './errors';
export * from './window';
