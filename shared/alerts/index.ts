export * from './types';
export * from './select';
export * from './cooldown';
export * from './text';
export * from './format';
export * from './run';
