/** The slice of a pino logger the handlers use, so a test or a custom wiring can pass its own. */
export interface LambdaLogger {
  debug(context: object, message?: string): void;
  info(context: object, message?: string): void;
  warn(context: object, message?: string): void;
  error(context: object, message?: string): void;
}

/** A logger that drops everything (the default of the factories, so a library user opts in to logs). */
export const silentLogger: LambdaLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
