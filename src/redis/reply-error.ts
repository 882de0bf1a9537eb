/**
 * True for an error reply of the server (ERR, WRONGTYPE, NOSCRIPT, OOM, ...), whatever the client library:
 * Redis answered, so the connection is healthy. Error replies open with an upper-case code; the clients'
 * own errors (a lost connection, a timeout) do not.
 *
 * @example
 * isReplyError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value')) // true
 */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && /^[A-Z][A-Z_-]+ /.test(error.message);
}
