export { checkStreamViewType, type StreamViewType } from './check-stream-view-type';
export { createStreamReader, type StreamReaderOptions, toLambdaRecord } from './create-stream-reader';
export {
  type DecodeStreamRecordOptions,
  decodeStreamRecord,
  isTtlDeletion,
  normaliseNumber,
  sequenceVersion,
  tableFromArn,
  VERSION_WIDTH,
} from './decode-stream-record';
export type {
  RecordsPage,
  ShardStart,
  StreamDescription,
  StreamFailure,
  StreamReader,
  StreamShard,
} from './stream-reader';
