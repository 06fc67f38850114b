/** KDA-shaped outputs (issue 15 item 2): pure formatting and outbox here; AWS sinks in ./aws.ts, wiring in ./setup.ts. */
export * from './format';
export * from './outbox';
export { deliveringOutputs, withOutputs } from './windows';
