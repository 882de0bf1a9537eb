import {
  createDeadLetter,
  DEAD_LETTER_FIELDS,
  deadLetterFields,
  MAX_DEAD_LETTER_MESSAGE_LENGTH,
} from '../../../src/core/dead-letter';

describe('the dead letter', () => {
  it('lists the source coordinates, then the fields every runtime writes', () => {
    // Prepare
    const letter = createDeadLetter(
      { code: 'CDC_DECODE_FAILED', message: 'not JSON' },
      'postgres-worker',
      { slot: 'cdc', lsn: '0/16B3748', table: 'public.users' },
      1_700_000_000_000,
    );
    // Act
    const fields = deadLetterFields(letter);
    // Assess
    expect(fields).toEqual([
      ['slot', 'cdc'],
      ['lsn', '0/16B3748'],
      ['table', 'public.users'],
      [DEAD_LETTER_FIELDS.errorCode, 'CDC_DECODE_FAILED'],
      [DEAD_LETTER_FIELDS.errorMessage, 'not JSON'],
      [DEAD_LETTER_FIELDS.failedAt, '1700000000000'],
      [DEAD_LETTER_FIELDS.runtime, 'postgres-worker'],
    ]);
  });

  it('cuts a long error message', () => {
    const letter = createDeadLetter({ code: 'X', message: 'x'.repeat(10_000) }, 'kafka-worker', {});
    expect(letter.message).toHaveLength(MAX_DEAD_LETTER_MESSAGE_LENGTH);
  });
});
