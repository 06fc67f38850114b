import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { rejectBody, rejectObjectKey, type RejectBatch, type RejectsSink } from './sink';

/** s3://$REJECTS_BUCKET/rejects/<detector>/<date>/<shard>-<seq>.json */
export class S3RejectsSink implements RejectsSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly now: () => number = Date.now,
  ) {}
  async write(batch: RejectBatch): Promise<string> {
    const key = rejectObjectKey(batch, this.now());
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: rejectBody(batch), ContentType: 'application/json' }));
    return `s3://${this.bucket}/${key}`;
  }
}
