import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AlertPublishError, SnsAlertPublisher } from '../../../shared/aws/sns-publisher';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stream-sentinel-dev-alerts';
const message = {
  subject: 'Anomaly in toll at 183A',
  message: 'full body\nwith details',
  sms: 'short text',
  attributes: { detector: 'toll', key: '183A', severity: 'warning' },
};

describe('SNS alert publisher', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());
  afterAll(() => sns.restore());

  it('publishes one message with a text per protocol, the subject and String attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'abc' });
    await expect(new SnsAlertPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC).publish(message)).resolves.toEqual({
      messageId: 'abc',
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 'Anomaly in toll at 183A',
      MessageStructure: 'json',
      Message: JSON.stringify({ default: 'full body\nwith details', sms: 'short text' }),
      MessageAttributes: {
        detector: { DataType: 'String', StringValue: 'toll' },
        key: { DataType: 'String', StringValue: '183A' },
        severity: { DataType: 'String', StringValue: 'warning' },
      },
    });
  });

  it('leaves out attributes with an empty value, which SNS would refuse', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'abc' });
    await new SnsAlertPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC).publish({ ...message, attributes: { detector: 'toll', key: '' } });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { MessageAttributes: { detector: { DataType: 'String', StringValue: 'toll' } } });
  });

  it('treats a publish without a message id as failed', async () => {
    sns.on(PublishCommand).resolves({});
    await expect(new SnsAlertPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC).publish(message)).rejects.toThrow(AlertPublishError);
  });

  it('lets SNS errors through so the run keeps the items pending', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Invalid parameter: Subject'), { name: 'InvalidParameterException' }));
    await expect(new SnsAlertPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC).publish(message)).rejects.toThrow(
      'Invalid parameter: Subject',
    );
  });
});
