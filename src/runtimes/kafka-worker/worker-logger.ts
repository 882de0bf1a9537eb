import type { Logger } from 'pino';

/** The logger the worker writes to: a pino logger, or anything with the same four methods. */
export type WorkerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
