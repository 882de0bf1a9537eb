/**
 * The Redis entry protocol shared by the SDK and the worker (see "The entry protocol" in the README). One Redis string per cache
 * entry; its value starts with a header of `|`-separated fields, the first three common to every kind:
 *
 *   <kind>|<generation>|<version>|...
 *
 * - value      `v|<gen>|<version>|<writtenAtMs>|<staleAtMs>|<refreshToken>|<payload>`
 * - not found  `n|<gen>|<version>|<writtenAtMs>|<staleAtMs>|<refreshToken>|`   (negative cache)
 * - lease      `l|<gen>|<floor>|<token>`                                     (a fill in progress; PX = lease ttl;
 *                                                                           floor: the newest version the key had reached)
 * - tombstone  `t|<gen>|<version>|<writtenAtMs>`                             (written by versions before v2; read only)
 *
 * `gen` is the entity generation (`generationKey`, a random number) observed before the data was loaded; a
 * value of any other generation reads as a miss (that is how a truncate drops a whole entity, and why a lost
 * generation key drops it too). `version` is the source version (`ChangeEvent.version`, byte-wise
 * comparable): the change a worker refresh wrote, or the position a fill's loader reported
 * (`ctx.readPosition`), `''` when unknown. `staleAtMs` is the soft expiry: past it a value is served only
 * within grace while one caller refreshes it, and `refreshToken` ('' when none) is the lease of that refresh.
 * The key's PTTL is the hard expiry. The payload is the serializer's output and may itself contain `|`.
 *
 * Beside each entry key the worker keeps its version memory (`versionKey`, same slot):
 * `<version>|<appliedAtMs>|<xid>`, the last change applied to the key and when (Redis clock), and the newest
 * PostgreSQL transaction id among the changes applied ('' when none carried one), for the worker's
 * `tombstoneTtl` (at least each entity's `maxReplicaLag`). A delete leaves only the memory: that is the
 * versioned tombstone a late refresh or a lagging fill is compared with after the entry itself is gone. A
 * PostgreSQL fill is checked against the xid (is it finished in the snapshot read?), not the version (a
 * change's LSN is not its commit's). The generation key has a version memory too (`generationMemoryKey`):
 * the entity's last truncate, which the SDK merges into every lease of the entity.
 */
export const ENTRY_KIND = { value: 'v', notFound: 'n', lease: 'l', tombstone: 't' } as const;

/** One of the entry kinds. */
export type EntryKind = (typeof ENTRY_KIND)[keyof typeof ENTRY_KIND];

/** The header fields every entry kind shares. */
export interface EntryHeader {
  readonly kind: EntryKind;
  readonly generation: number;
  readonly version: string;
}

const KINDS: ReadonlySet<string> = new Set(Object.values(ENTRY_KIND));

/**
 * Read the common header of a raw entry, or `undefined` when the string is not a cdc-cache entry
 * (a key written by something else is treated as absent and overwritten by the next fill).
 *
 * @example
 * readEntryHeader('t|3|00000000000000000042|1732360000000') // { kind: 't', generation: 3, version: '00000000000000000042' }
 */
export function readEntryHeader(raw: string): EntryHeader | undefined {
  const first = raw.indexOf('|');
  const second = raw.indexOf('|', first + 1);
  if (first !== 1 || second < 0 || !KINDS.has(raw[0]!)) return undefined;
  const third = raw.indexOf('|', second + 1);
  const generation = Number(raw.slice(first + 1, second));
  if (!Number.isSafeInteger(generation)) return undefined;
  const version = raw.slice(second + 1, third < 0 ? undefined : third);
  return { kind: raw[0] as EntryKind, generation, version };
}
