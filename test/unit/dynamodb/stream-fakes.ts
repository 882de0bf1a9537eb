import type { DynamoDBRecord } from 'aws-lambda';
import { CdcCacheError } from '../../../src/errors';
import { SHARD_END, type ShardStore } from '../../../src/runtimes/dynamodb-worker';
import type {
  RecordsPage,
  ShardStart,
  StreamFailure,
  StreamReader,
  StreamShard,
} from '../../../src/sources/dynamodb';

function failure(kind: StreamFailure): CdcCacheError {
  return new CdcCacheError('CDC_SOURCE_UNAVAILABLE', `fake ${kind}`, {
    retriable: true,
    details: { failure: kind },
  });
}

/** An in-memory stream: shards with records; iterators are `<shardId>@<index>`. */
export function fakeStream(table: string, viewType = 'NEW_AND_OLD_IMAGES') {
  const shards = new Map<
    string,
    { shard: StreamShard; records: DynamoDBRecord[]; closed: boolean; trimmedBefore: number }
  >();
  const reads: string[] = [];
  const pendingFailures: { operation: 'getRecords' | 'getIterator'; kind: StreamFailure }[] = [];
  const reader: StreamReader = {
    async describe() {
      return {
        table,
        streamArn: `arn:aws:dynamodb:us-east-1:1:table/${table}/stream/x`,
        viewType,
        keyAttributes: ['pk'],
        shards: [...shards.values()].map(({ shard, closed }) => ({ ...shard, closed })),
      };
    },
    async getIterator(_arn: string, shardId: string, start: ShardStart) {
      const state = shards.get(shardId);
      if (!state) throw failure('not-found');
      const injected = pendingFailures.findIndex((entry) => entry.operation === 'getIterator');
      if (injected >= 0) throw failure(pendingFailures.splice(injected, 1)[0]!.kind);
      let index = start.type === 'LATEST' ? state.records.length : state.trimmedBefore;
      if (start.type === 'AFTER_SEQUENCE_NUMBER') {
        const at = state.records.findIndex(
          (record) => record.dynamodb?.SequenceNumber === start.sequenceNumber,
        );
        if (at < state.trimmedBefore - 1) throw failure('trimmed');
        index = at + 1;
      }
      return `${shardId}@${index}`;
    },
    async getRecords(_arn: string, iterator: string, limit: number): Promise<RecordsPage> {
      const injected = pendingFailures.findIndex((entry) => entry.operation === 'getRecords');
      if (injected >= 0) throw failure(pendingFailures.splice(injected, 1)[0]!.kind);
      const [shardId, at] = iterator.split('@') as [string, string];
      const state = shards.get(shardId)!;
      const start = Number(at);
      const records = state.records.slice(start, start + limit);
      reads.push(...records.map((record) => `${shardId}:${record.dynamodb?.SequenceNumber}`));
      const next = start + records.length;
      return {
        records,
        nextIterator: state.closed && next >= state.records.length ? null : `${shardId}@${next}`,
      };
    },
  };
  return {
    reader,
    reads,
    addShard(shardId: string, parentShardId: string | null, records: DynamoDBRecord[], closed = false) {
      shards.set(shardId, { shard: { shardId, parentShardId, closed }, records, closed, trimmedBefore: 0 });
    },
    append(shardId: string, ...records: DynamoDBRecord[]) {
      shards.get(shardId)!.records.push(...records);
    },
    close(shardId: string) {
      shards.get(shardId)!.closed = true;
    },
    trim(shardId: string, before: number) {
      shards.get(shardId)!.trimmedBefore = before;
    },
    failNext(operation: 'getRecords' | 'getIterator', kind: StreamFailure) {
      pendingFailures.push({ operation, kind });
    },
  };
}

/** An in-memory shard store shared by several fake workers (one Map plays the Redis). */
export function memoryShardStores(leaseMs = 60_000) {
  const states = new Map<string, { owner?: string; until?: number; seq?: string }>();
  const workers = new Map<string, number>();
  let failing = false;
  const guard = () => {
    if (failing) throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'fake outage', { retriable: true });
  };
  const storeFor = (owner: string): ShardStore => ({
    async claim(shardId) {
      guard();
      const state = states.get(shardId) ?? {};
      if (state.owner && state.owner !== owner && (state.until ?? 0) > Date.now())
        return { claimed: false, checkpoint: state.seq ?? '' };
      states.set(shardId, { ...state, owner, until: Date.now() + leaseMs });
      return { claimed: true, checkpoint: state.seq ?? '' };
    },
    async checkpoint(shardId, sequenceNumber) {
      guard();
      const state = states.get(shardId);
      if (state?.owner !== owner) return false;
      state.seq = sequenceNumber;
      return true;
    },
    async renew(shardId) {
      guard();
      return states.get(shardId)?.owner === owner;
    },
    async finish(shardId) {
      guard();
      const state = states.get(shardId);
      if (state?.owner !== owner) return false;
      state.seq = SHARD_END;
      return true;
    },
    async release(shardId) {
      const state = states.get(shardId);
      if (state?.owner === owner) states.set(shardId, { ...(state.seq ? { seq: state.seq } : {}) });
    },
    async checkpoints(shardIds) {
      guard();
      return new Map(shardIds.map((id) => [id, states.get(id)?.seq ?? '']));
    },
    async heartbeat() {
      guard();
      workers.set(owner, Date.now());
      return workers.size;
    },
    async leave() {
      workers.delete(owner);
    },
  });
  return {
    storeFor,
    states,
    setFailing(value: boolean) {
      failing = value;
    },
  };
}
