import type { MSKRecord } from 'aws-lambda';
import type { KafkaHeader } from '../sources/kafka/kafka-headers';

/**
 * The headers of a Lambda Kafka record (a list of one-name objects of byte arrays), in order, repeats kept.
 *
 * @example
 * mskHeaderEntries({ ...record, headers: [{ a: [49] }, { a: [50] }] }) // [['a', <1>], ['a', <2>]]
 */
export function mskHeaderEntries(record: Pick<MSKRecord, 'headers'>): KafkaHeader[] {
  return (record.headers ?? []).flatMap((header) =>
    Object.entries(header).map(([name, bytes]): KafkaHeader => [name, Buffer.from(bytes)]),
  );
}
