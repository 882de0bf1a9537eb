import type { MSKRecord } from 'aws-lambda';
import { mskHeaderEntries } from '../../../src/lambda/msk-header-entries';
import { headerEntries, lastHeaderValues } from '../../../src/sources/kafka';

describe('Kafka headers', () => {
  it('keeps every value of a repeated header, in order', () => {
    // Prepare
    const consumed = { trace: [Buffer.from('a'), Buffer.from('b')], origin: Buffer.from('x') };
    const msk: Pick<MSKRecord, 'headers'> = {
      headers: [{ trace: [97] }, { origin: [120] }, { trace: [98] }],
    };
    // Act
    const fromWorker = headerEntries(consumed).map(([name, value]) => [name, String(value)]);
    const fromLambda = mskHeaderEntries(msk).map(([name, value]) => [name, String(value)]);
    // Assess
    expect(fromWorker).toEqual([
      ['trace', 'a'],
      ['trace', 'b'],
      ['origin', 'x'],
    ]);
    expect(fromLambda).toEqual([
      ['trace', 'a'],
      ['origin', 'x'],
      ['trace', 'b'],
    ]);
  });

  it('gives a decoder the last value of a repeated name, as Kafka reads it (Headers.lastHeader)', () => {
    // Act
    const values = lastHeaderValues([
      ['__op', 'c'],
      ['__deleted', 'false'],
      ['__op', 'u'],
    ]);
    // Assess
    expect(values).toEqual({ __op: 'u', __deleted: 'false' });
    expect(lastHeaderValues([])).toBeUndefined();
  });
});
