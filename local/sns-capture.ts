import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { listenCapture, type RunningServer } from './emulators';

/**
 * SNS publishes in local mode are captured, not sent: kept in memory, shown in the terminal and the
 * dashboard. Two ways in: in-process (the alerts handler's publisher port) and over HTTP (a minimal SNS
 * endpoint speaking the Query protocol the SDK uses, so `sls invoke local -f alerts` can publish too).
 */

export interface CapturedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  sentAt: string;
}

export type CaptureListener = (message: CapturedMessage) => void;

export class SnsCapture {
  readonly messages: CapturedMessage[] = [];
  private readonly listeners: CaptureListener[] = [];

  constructor(readonly topicArn: string) {}

  onMessage(listener: CaptureListener): void {
    this.listeners.push(listener);
  }

  capture(input: { topicArn?: string; subject?: string; message: string; attributes?: Record<string, string> }): CapturedMessage {
    const captured: CapturedMessage = {
      messageId: randomUUID(),
      topicArn: input.topicArn ?? this.topicArn,
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      message: input.message,
      attributes: input.attributes ?? {},
      sentAt: new Date().toISOString(),
    };
    this.messages.push(captured);
    for (const listener of this.listeners) listener(captured);
    return captured;
  }

  /** Serves SNS Publish on 127.0.0.1; any other action is answered with an SNS-style error. */
  async listen(port = 0): Promise<RunningServer> {
    return listenCapture((body, req, res) => this.handle(body, req, res), port);
  }

  private async handle(text: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(text);
    const action = form.get('Action');
    res.setHeader('Content-Type', 'text/xml');
    if (action !== 'Publish') {
      res.statusCode = 400;
      res.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
          `<Message>local SNS capture supports Publish only, not ${xml(action ?? '(none)')}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const attributes: Record<string, string> = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      const name = form.get(`MessageAttributes.entry.${i}.Name`)!;
      attributes[name] =
        form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? form.get(`MessageAttributes.entry.${i}.Value.BinaryValue`) ?? '';
    }
    const subject = form.get('Subject') ?? undefined;
    const captured = this.capture({
      topicArn: form.get('TopicArn') ?? undefined,
      ...(subject !== undefined ? { subject } : {}),
      message: form.get('Message') ?? '',
      attributes,
    });
    res.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${captured.messageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }
}

const xml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
