import type { ConsumedMessage } from './kafka-consumer-port';

/** One Kafka record header. A record may carry several headers of one name, in order. */
export type KafkaHeader = readonly [name: string, value: Buffer | string];

/**
 * A consumed message's headers as one list, repeated names kept in their order.
 *
 * @example
 * headerEntries({ a: [Buffer.from('1'), Buffer.from('2')] }) // [['a', <1>], ['a', <2>]]
 */
export function headerEntries(headers: ConsumedMessage['headers']): KafkaHeader[] {
  const entries: KafkaHeader[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const one of value) entries.push([name, one]);
    else if (value !== undefined) entries.push([name, value as Buffer | string]);
  }
  return entries;
}

/**
 * One value per header name for a decoder: the last one of a repeated name, as Kafka's own
 * `Headers.lastHeader` and Kafka Connect's `lastWithName` read it (a transform that adds a header again
 * appends the newer value).
 *
 * @example
 * lastHeaderValues([['__op', 'c'], ['__op', 'u']]) // { __op: 'u' }
 */
export function lastHeaderValues(
  entries: readonly KafkaHeader[],
): Record<string, Buffer | string> | undefined {
  if (entries.length === 0) return undefined;
  const values: Record<string, Buffer | string> = {};
  for (const [name, value] of entries) values[name] = value;
  return values;
}
