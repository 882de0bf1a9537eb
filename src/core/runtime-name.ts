/** The runtimes that apply change records: the `runtime` of a dead letter and of every runtime metric. */
export const RUNTIME_NAMES = [
  'kafka-worker',
  'kafka-lambda',
  'dynamodb-worker',
  'dynamodb-lambda',
  'postgres-worker',
] as const;

/** One of {@link RUNTIME_NAMES}. */
export type RuntimeName = (typeof RUNTIME_NAMES)[number];
