import { NOT_JSON } from '../../../src/sources/debezium/json-bytes';
import { KnownSchemas } from '../../../src/sources/debezium/known-schemas';

const schemaOf = (table: string) => `{"type":"struct","name":"${table}.Value","fields":[]}`;

describe('KnownSchemas', () => {
  it('builds each topic schema once, however many topics take turns', () => {
    // Prepare
    let builds = 0;
    const schemas = new KnownSchemas(() => ++builds);
    const topics = Array.from({ length: 200 }, (_, index) => `prefix.public.t${index}`);
    // Act
    for (let round = 0; round < 3; round++)
      for (const topic of topics) {
        const bytes = Buffer.from(`{"schema":${schemaOf(topic)},"payload":{}}`);
        const found = schemas.find(bytes, 10, topic);
        // Assess
        expect(found).not.toBe(NOT_JSON);
        expect(bytes[(found as { end: number }).end]).toBe(0x2c);
      }
    expect(builds).toBe(topics.length);
  });

  it('takes a schema as known only when every byte matches', () => {
    // Prepare
    const seen: unknown[] = [];
    const schemas = new KnownSchemas((schema) => seen.push(schema));
    const known = Buffer.from(`${schemaOf('users')} `);
    const edited = Buffer.from(`${schemaOf('usera')} `);
    // Act
    schemas.find(known, 0, 'topic');
    schemas.find(edited, 0, 'topic');
    schemas.find(known, 0, 'topic');
    // Assess
    expect(seen).toHaveLength(2);
    expect(schemas.find(Buffer.from('{"type":'), 0, 'topic')).toBe(NOT_JSON);
  });
});
