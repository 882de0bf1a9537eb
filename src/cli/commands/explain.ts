import type { DynamoDBRecord } from 'aws-lambda';
import type { CacheAction } from '../../core/cache-action';
import type { ChangeEvent } from '../../core/change-event';
import { planActions } from '../../core/plan-actions';
import { CdcCacheError } from '../../errors';
import { isKeyspaceModule, type Keyspace, keyspaceColumnTypes, loadKeyspace } from '../../keyspace';
import { formatHelp } from '../../runtimes/shared/config-docs';
import { resolveConfig } from '../../runtimes/shared/config-schema';
import { type ColumnTypesOf, decodeDebeziumValue } from '../../sources/debezium/decode-debezium-record';
import { parseJson } from '../../sources/debezium/parse-json';
import { decodeStreamRecord } from '../../sources/dynamodb/decode-stream-record';
import { type ExplainConfig, explainConfigSchema } from './explain-config';

const INTRO = `Print, one JSON object per line, every Redis action the change event(s) would cause. Never touches Redis.

Input (stdin, or --input FILE): a Debezium message value (JSON, with or without schema, or flattened by
ExtractNewRecordState), a DynamoDB stream record, or a Lambda event with Records[]. Several Debezium
values may be given as JSON lines.

Exit codes: 0 explained, 2 bad usage, keyspace or input (the message names what is wrong).`;

/** Where explain reads and writes; tests pass their own. */
export interface ExplainIo {
  readonly readInput: (path: string | undefined) => Promise<string>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: ExplainIo = {
  readInput: async (path) => {
    if (path) return (await import('node:fs/promises')).readFile(path, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

class UsageError extends Error {}

/**
 * `cdc-cache explain`: print each action a change event would cause, one JSON object per line.
 *
 * @example
 * // cdc-cache explain --keyspace keyspace.yaml < debezium-message.json
 * // {"action":"delete","key":"user:42","entity":"user"}
 * await run(['--keyspace', 'keyspace.yaml'])
 */
export async function run(argv: string[], io: ExplainIo = defaultIo): Promise<number> {
  try {
    const resolved = resolveConfig(explainConfigSchema, { argv, env: io.env, configFile: false });
    if (resolved.help) {
      io.out(
        formatHelp(explainConfigSchema, {
          usage: 'cdc-cache explain --keyspace FILE [options] < event.json',
          intro: INTRO,
          configFile: false,
        }),
      );
      return 0;
    }
    const options = resolved.values;
    // Loading a keyspace module runs it: never because of a variable left in the environment.
    if (
      resolved.sources.keyspace !== 'flag' &&
      isKeyspaceModule(options.keyspace) &&
      !(options.allowCodeKeyspace && resolved.sources.allowCodeKeyspace === 'flag')
    ) {
      throw new UsageError(
        `CDC_CACHE_KEYSPACE names a keyspace module (${options.keyspace}), which is code: explain runs it only when asked (--keyspace ${options.keyspace} or --allow-code-keyspace)`,
      );
    }
    const keyspace = await loadKeyspace(options.keyspace);
    const text = await io.readInput(options.input);
    const events = decodeOrExplain(text, options, keyspaceColumnTypes(keyspace));
    const prefix = options.keyPrefix ?? keyspace.prefix;
    for (const line of explainEvents(events, keyspace, prefix)) io.out(JSON.stringify(line));
    return 0;
  } catch (error) {
    const usage = error instanceof UsageError || isConfigError(error);
    if (usage || error instanceof CdcCacheError) {
      io.err(`cdc-cache explain: ${error.message}`);
      if (usage) io.err("Run 'cdc-cache explain --help' for usage.");
      return 2;
    }
    throw error;
  }
}

function isConfigError(error: unknown): error is CdcCacheError {
  return error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID';
}

/**
 * Parse the input text: one JSON document, or JSON lines. Integers beyond 2^53 stay exact (parseJson), as
 * the worker keeps them: a snowflake id must name the same key here as there.
 */
function parseInput(text: string): unknown[] {
  if (text.trim() === '') throw new UsageError('the input is empty: pipe a change event as JSON on stdin');
  try {
    return [parseJson(text)];
  } catch (whole) {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length < 2) throw new UsageError(`the input is not valid JSON: ${(whole as Error).message}`);
    return lines.map((line, index) => {
      try {
        return parseJson(line);
      } catch (error) {
        throw new UsageError(`line ${index + 1} of the input is not valid JSON: ${(error as Error).message}`);
      }
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function detectSource(document: unknown): 'debezium' | 'dynamodb' {
  if (isObject(document) && (Array.isArray(document['Records']) || isObject(document['dynamodb']))) {
    return 'dynamodb';
  }
  return 'debezium';
}

/**
 * {@link decodeInput}, with any error that is not already a coded one (a decoder defect) turned into a
 * coded CDC_DECODE_FAILED: explain exits 2 with a message, never 1 with a stack, whatever the input.
 */
function decodeOrExplain(
  text: string,
  options: ExplainConfig,
  columnTypes: ColumnTypesOf,
): (ChangeEvent | null)[] {
  try {
    return decodeInput(text, options, columnTypes);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CdcCacheError) throw error;
    throw new CdcCacheError('CDC_DECODE_FAILED', `the input cannot be decoded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Decode the input into events; `null` marks a record that changes no row. */
function decodeInput(
  text: string,
  options: ExplainConfig,
  columnTypes: ColumnTypesOf,
): (ChangeEvent | null)[] {
  const documents = parseInput(text);
  return documents.flatMap((document): (ChangeEvent | null)[] => {
    const source = options.source ?? detectSource(document);
    if (source === 'dynamodb') {
      const records =
        isObject(document) && Array.isArray(document['Records']) ? document['Records'] : [document];
      if (!isObject(document) || records.length === 0) {
        throw new UsageError(
          'expected a DynamoDB stream record or a Lambda event with a non-empty Records[]',
        );
      }
      return records.map((record) =>
        decodeStreamRecord(record as DynamoDBRecord, {
          ...(options.table ? { tableName: options.table } : {}),
          ...(options.versionAttribute ? { versionAttribute: options.versionAttribute } : {}),
        }),
      );
    }
    // Decoded as the worker decodes: with the keyspace's declared column types.
    const events = decodeDebeziumValue(document, {
      ...(options.topic ? { topic: options.topic } : {}),
      columnTypes,
    });
    return events.length > 0 ? events : [null];
  });
}

/** The lines explain prints for a list of decoded events. */
export function explainEvents(
  events: readonly (ChangeEvent | null)[],
  keyspace: Keyspace,
  prefix: string,
): Record<string, unknown>[] {
  const decoded = events.filter((event): event is ChangeEvent => event !== null);
  const plans = planActions(decoded, { keyspace, prefix });
  const several = events.length > 1;
  const lines: Record<string, unknown>[] = [];
  let planIndex = 0;
  events.forEach((event, index) => {
    const tag = several ? { event: index } : {};
    if (event === null) {
      lines.push({
        action: 'skip',
        reason: 'the record changes no row (Kafka tombstone, heartbeat, schema change or transaction marker)',
        ...tag,
      });
      return;
    }
    const plan = plans[planIndex++]!;
    if (plan.status === 'skipped')
      lines.push({ action: 'skip', reason: plan.reason, table: event.table, ...tag });
    else if (plan.status === 'failed') {
      lines.push({
        action: 'dead-letter',
        code: plan.error.code,
        reason: plan.error.message,
        table: event.table,
        ...tag,
      });
    } else {
      for (const action of plan.actions) lines.push({ ...describeAction(action), ...tag });
      for (const entity of plan.incomplete) {
        lines.push({
          action: 'warning',
          entity,
          reason: `an image lacks the columns of ${entity}'s key, so that key cannot be invalidated from it (PostgreSQL: REPLICA IDENTITY FULL; MySQL: binlog_row_image=FULL)`,
          ...tag,
        });
      }
    }
  });
  return lines;
}

function describeAction(action: CacheAction): Record<string, unknown> {
  switch (action.kind) {
    case 'delete':
      return { action: 'delete', key: action.key, entity: action.entity };
    case 'refresh':
      return {
        action: 'refresh',
        key: action.key,
        version: action.version,
        entity: action.entity,
        bytes: Buffer.byteLength(action.payload),
      };
    case 'tombstone':
      return { action: 'tombstone', key: action.key, version: action.version, entity: action.entity };
    case 'bump-generation':
      return { action: 'bump-generation', key: action.key, version: action.version, entity: action.entity };
    case 'invalidate-tag':
      return { action: 'invalidate-tag', key: action.key, tag: action.tag };
  }
}
