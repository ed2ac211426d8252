/**
 * A client broke the RESP framing. The connection answers
 * `-ERR Protocol error: <message>` and is closed, as Redis does
 * (networking.c, `setProtocolError`). Command-level errors are plain replies,
 * never this class.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  /** @param message the text after `Protocol error: `, as Redis words it */
  constructor(message: string) {
    super(message);
  }
}
