import fc from 'fast-check';

/**
 * Strings a row column can hold that stress the key encoding: separators, braces, '%', '_' (the reserved
 * `_cc:` namespace), whitespace, a lone surrogate, unicode, digits and numeric-looking text.
 *
 * @example
 * fc.assert(fc.property(hostileString, (value) => encodeKeyValue(value) !== undefined))
 */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1 }),
  fc.string({
    unit: fc.constantFrom(
      ':',
      '/',
      '#',
      '|',
      '{',
      '}',
      '%',
      '_',
      'c',
      ' ',
      '\n',
      '\uD800',
      'é',
      '🙂',
      '3',
      'A',
      '.',
      'e',
    ),
    minLength: 1,
    maxLength: 8,
  }),
  fc.constantFrom('_cc', '_cc:gen:x', '_', '__', '%5Fcc', '_cc:tag:t', '-0', '0', '1e-7', '007'),
);

/** {@link hostileString}s, integers, bigints beyond 2^64, doubles and booleans: any untyped key value. */
export const hostileKeyValue: fc.Arbitrary<string | number | bigint | boolean> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
);
