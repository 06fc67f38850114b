export * from './errors';
export * from './window';
export * from './stream';
