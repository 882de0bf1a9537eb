import type { TopicMessage } from '../../support/kafka-topic-reader';

/** The parts of a Debezium change event (JSON converter, schemas enabled) that the smoke tests check. */
export interface DebeziumChange {
  readonly key: Record<string, unknown>;
  readonly op: 'c' | 'u' | 'd' | 'r' | 't';
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly source: Record<string, unknown>;
}

/** Decode the change events among `messages` (tombstones, i.e. null values after a delete, are skipped). */
export function debeziumChanges(messages: readonly TopicMessage[]): DebeziumChange[] {
  return messages.flatMap((message) => {
    if (message.value === null || message.key === null) return [];
    const value = JSON.parse(message.value) as { schema: unknown; payload: Omit<DebeziumChange, 'key'> };
    const key = JSON.parse(message.key) as { schema: unknown; payload: Record<string, unknown> };
    return [{ key: key.payload, ...value.payload }];
  });
}
