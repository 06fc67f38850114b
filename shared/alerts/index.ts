/** The alerts domain: selection, safe text, messages and digests. */
export * from './types';
export * from './select';
export * from './cooldown';
export * from './text';
export * from './format';
export * from './run';
