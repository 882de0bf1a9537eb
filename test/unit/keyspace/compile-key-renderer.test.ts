import { compileKeyRenderer } from '../../../src/keyspace';
import { type KeyTemplate, parseKeyTemplate } from '../../../src/keyspace/key-template';

function template(source: string): KeyTemplate {
  const parsed = parseKeyTemplate(source);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.template;
}

describe('compileKeyRenderer', () => {
  it('names the row columns its placeholders read, in template order, through the column mapping', () => {
    // Act
    const render = compileKeyRenderer(template('{tenant}:order/{id}#{at}'), {
      prefix: 'shop:',
      columns: { at: 'created_at' },
    });

    // Assess
    expect(render.columns).toEqual(['tenant', 'id', 'created_at']);
    expect(render({ tenant: 't', id: 7, created_at: 'x' })).toBe('shop:t:order/7#x');
  });
});
