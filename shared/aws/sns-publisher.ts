import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertMessage, AlertPublisher } from '../alerts/types';
import { StreamSentinelError } from '../errors';

/** Publishing went wrong in a way the SDK did not turn into an error (no message id came back). */
export class AlertPublishError extends StreamSentinelError {}

/**
 * The alerts topic (the service's only SNS import). One Publish per message with a text per protocol
 * (MessageStructure json): SMS gets the one-segment text, every other protocol (email with the subject, SQS,
 * HTTP, Lambda) the full body as `default`.
 */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    const res = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.subject,
        MessageStructure: 'json',
        // Email and every protocol without its own key get `default`: the body is sent once, not once per protocol.
        Message: JSON.stringify({ default: message.message, sms: message.sms }),
        // SNS refuses an empty attribute value (and would then refuse every retry of this message): leave it out.
        MessageAttributes: Object.fromEntries(
          Object.entries(message.attributes)
            .filter(([, value]) => value !== '')
            .map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
    if (!res.MessageId) throw new AlertPublishError(`SNS accepted the publish to ${this.topicArn} but returned no message id`);
    return { messageId: res.MessageId };
  }
}
