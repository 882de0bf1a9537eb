// Strings read out of a message's bytes. Each `bytes.toString('utf8', start, end)` is a call into Node's C++
// side that costs about as much as turning a kilobyte into text (0.1 to 0.2 µs even for a 20-byte e-mail
// address), and a scanned message reads about ten strings. So the whole message is turned into Latin-1 text
// once (one char per byte: offsets stay byte offsets), and an ASCII string is a slice of it; only a string
// with other bytes is decoded as UTF-8 on its own.

const BACKSLASH = 0x5c;

/**
 * One message's bytes and, once a string is read, their Latin-1 text. Reused from message to message
 * (scanning is synchronous); until the next {@link MessageText.reset} it keeps the last message reachable.
 */
export class MessageText {
  #bytes: Buffer = Buffer.alloc(0);
  #latin1: string | undefined;

  reset(bytes: Buffer): void {
    this.#bytes = bytes;
    this.#latin1 = undefined;
  }

  /**
   * The string whose quoted span is `[start, end)`, as JSON.parse reads it; undefined when it holds an escape
   * sequence (the caller decodes those with JSON.parse, which also rejects malformed ones).
   */
  quoted(start: number, end: number): string | undefined {
    const bytes = this.#bytes;
    let ascii = true;
    for (let index = start + 1; index < end - 1; index++) {
      const code = bytes[index]!;
      if (code === BACKSLASH) return undefined;
      if (code >= 0x80) ascii = false;
    }
    if (!ascii) return bytes.toString('utf8', start + 1, end - 1);
    this.#latin1 ??= bytes.toString('latin1');
    return this.#latin1.slice(start + 1, end - 1);
  }
}
