export * from './errors';
export * from './window';
export * from './stream';
export * from './ports';
export * from './emit';
