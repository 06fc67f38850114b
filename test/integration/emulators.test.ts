import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, dynamoDocumentClient } from '../../shared/aws/clients';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';

describe('the data table created from resources/tables.yml in dynalite', () => {
  let dynamo: Emulator;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.close());

  it('has the key schema and the sparse pending-alerts index the stack declares', async () => {
    const name = await createDataTable(dynamo.endpoint);
    const { Table } = await dynamoClient({ endpoint: dynamo.endpoint }).send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['pending-alerts']);
  });

  it('round-trips an item through the document client', async () => {
    const name = await createDataTable(dynamo.endpoint);
    const doc = dynamoDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new PutCommand({ TableName: name, Item: { pk: 'W#toll#183A', sk: '2026-01-01T00:00:00.000Z', count: 3 } }));
    const { Item } = await doc.send(new GetCommand({ TableName: name, Key: { pk: 'W#toll#183A', sk: '2026-01-01T00:00:00.000Z' } }));
    expect(Item?.count).toBe(3);
  });
});
