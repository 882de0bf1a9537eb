import { maskUrlCredentials } from '../../observability/mask-url-credentials';

/** Turns the raw text of an option (flag, env or file) into its value; throws an Error saying what is expected. */
export type OptionParser<T> = ((raw: string) => T) & {
  /** The value type as the docs and `--help` show it, e.g. `integer 1..256`. */
  readonly type?: string;
};

/**
 * Attach the documented type to a parse function, so `--help` and the references can show it.
 *
 * @example
 * const slotName = typed('slot name', (raw) => raw)
 */
export function typed<T>(type: string, parse: (raw: string) => T): OptionParser<T> {
  return Object.assign(parse, { type });
}

/**
 * Parsers for option values; each throws an Error that says what it expected, and carries its type for
 * the docs.
 *
 * @example
 * parsers.list('a:9092, b:9092') // ['a:9092', 'b:9092']
 */
export const parsers = {
  string: typed('string', (raw: string): string => {
    if (raw.trim() === '') throw new Error('expected a non-empty value');
    return raw;
  }),
  integer: ({ min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}) =>
    typed(`integer ${min}..${max}`, (raw: string): number => {
      const value = Number(raw.trim());
      if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
        throw new Error(`expected an integer from ${min} to ${max}, got '${raw}'`);
      }
      return value;
    }),
  boolean: typed('boolean', (raw: string): boolean => {
    const text = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    throw new Error(`expected true or false, got '${raw}'`);
  }),
  list: typed('comma-separated list', (raw: string): string[] => {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    if (items.length === 0) throw new Error('expected a comma-separated list');
    return items;
  }),
  oneOf: <const Choice extends string>(choices: readonly Choice[]) =>
    typed(choices.join('|'), (raw: string): Choice => {
      const text = raw.trim().toLowerCase();
      const choice = choices.find((candidate) => candidate === text);
      if (choice === undefined) throw new Error(`expected one of ${choices.join(', ')}, got '${raw}'`);
      return choice;
    }),
  regex: typed('regular expression', (raw: string): RegExp => {
    try {
      return new RegExp(raw);
    } catch (error) {
      throw new Error(`expected a regular expression: ${(error as Error).message}`);
    }
  }),
  url: (protocols: readonly string[]) =>
    typed(`URL (${protocols.map((protocol) => `${protocol}//`).join(' or ')})`, (raw: string): string => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error(
          `expected a URL (${protocols.join(' or ')}; percent-encode special characters in a password), got '${maskUrlCredentials(raw, { whole: true })}'`,
        );
      }
      if (!protocols.includes(url.protocol)) {
        throw new Error(`expected a ${protocols.join(' or ')} URL, got '${url.protocol}'`);
      }
      return raw;
    }),
};
