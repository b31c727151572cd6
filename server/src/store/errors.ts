// The one error the store raises when the database fails it (unreachable, timed out, refusing): each transport maps
// it in one place (503, or an `unavailable` ack) so clients retry; anything else thrown is a bug and answers 500.
export class StoreUnavailableError extends Error {
  constructor(options: { cause: unknown }) {
    super(
      `The database is not available: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
    this.name = 'StoreUnavailableError';
  }
}
