/**
 * The base of every error this project throws on purpose. Its `name` is the subclass's (so logs and `instanceof`
 * checks agree), and it takes the error that caused it as `{ cause }` (ES2022), so a wrapped failure keeps its
 * origin in logs instead of being flattened into a message.
 */
export class StreamSentinelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
