/** Reads an entry together with its entity's generation key. */
export type EntryReader = (key: string, generationKey: string) => Promise<(string | null)[]>;

interface PendingRead {
  readonly key: string;
  readonly generationKey: string;
  readonly resolve: (values: (string | null)[]) => void;
  readonly reject: (error: unknown) => void;
}

/** At most this many keys in one MGET; a larger batch is split into several, written back to back. */
const MAX_KEYS_PER_MGET = 512;

/**
 * Coalesce the hit-path reads issued in the same tick into one `MGET` (standalone Redis): each read still
 * costs one round trip, but N concurrent reads cost one command and one socket write instead of N, and the
 * generation key they share is read once. `send` runs one MGET (the caller wraps it in its timeout and
 * circuit breaker); a lone read is sent as `MGET <entry> <generation>`, exactly as without batching.
 *
 * @example
 * const read = createReadBatcher((keys) => client.mget(...keys))
 * const [raw, generation] = await read('user:42', '_cc:gen:user')
 */
export function createReadBatcher(send: (keys: string[]) => Promise<(string | null)[]>): EntryReader {
  let pending: PendingRead[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 1) {
      const read = batch[0]!;
      send([read.key, read.generationKey]).then(read.resolve, read.reject);
      return;
    }
    for (let start = 0; start < batch.length; ) {
      const positions = new Map<string, number>();
      const keys: string[] = [];
      const slots: [number, number][] = [];
      const position = (key: string) => {
        let index = positions.get(key);
        if (index === undefined) {
          index = keys.push(key) - 1;
          positions.set(key, index);
        }
        return index;
      };
      let end = start;
      while (end < batch.length && keys.length < MAX_KEYS_PER_MGET) {
        const read = batch[end]!;
        slots.push([position(read.key), position(read.generationKey)]);
        end += 1;
      }
      const part = batch.slice(start, end);
      send(keys).then(
        (values) => {
          for (let index = 0; index < part.length; index++) {
            const [entry, generation] = slots[index]!;
            part[index]!.resolve([values[entry] ?? null, values[generation] ?? null]);
          }
        },
        (error: unknown) => {
          for (const read of part) read.reject(error);
        },
      );
      start = end;
    }
  };
  return (key, generationKey) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) process.nextTick(flush);
      pending.push({ key, generationKey, resolve, reject });
    });
}
