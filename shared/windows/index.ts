/** Tumbling-window aggregation, emission, models, watermark: the windows function's domain. */
export * from './aggregate';
export * from './plan';
export * from './ports';
export * from './models';
export * from './emit';
export * from './watermark';
