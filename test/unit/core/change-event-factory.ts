import type { ChangeEvent } from '../../../src/core/change-event';

/** Record factory: a Debezium-style PostgreSQL users change, overridable field by field. */
export function userChange(overrides: Partial<ChangeEvent<string>> = {}): ChangeEvent<string> {
  return {
    source: 'postgres',
    table: 'public.users',
    op: 'update',
    before: { id: 42, email: 'old@example.com', tenant_id: 7, name: 'Ada' },
    after: { id: 42, email: 'new@example.com', tenant_id: 7, name: 'Ada L.' },
    key: { id: 42 },
    version: '00000000000000000100',
    committedAt: 1_732_360_000_000,
    position: '17',
    ...overrides,
  };
}
