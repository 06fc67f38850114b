import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { baseConfig, type ClientOptions } from './options';

/** The DynamoDB clients: the low-level one (dashboard, stack) and the document client the store adapters use. */

export const dynamoClient = (options: ClientOptions = {}): DynamoDBClient => new DynamoDBClient(baseConfig('DYNAMODB', options));

export const dynamoDocumentClient = (options: ClientOptions = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(dynamoClient(options), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
