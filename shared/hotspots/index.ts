/** KDA's HOTSPOTS: the sliding window and its parts, the hotspots service and its store port. */
export * from './errors';
export * from './window';
export * from './stream';
export * from './ports';
export * from './emit';
