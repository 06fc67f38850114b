/** DynamoDB adapters; keys.ts owns every pk/sk format. */
export * from './keys';
export { DynamoWindowStore, type WindowItem } from './windows';
export { DynamoModelStore, type ModelItem } from './models';
export { DynamoCarryStore, type CarryItem } from './carry';
