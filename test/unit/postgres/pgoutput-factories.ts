import type { Pgoutput } from 'pg-logical-replication';

/** A relation message of `public.<name>` whose columns are `[name, typeOid]` pairs; the first is the key. */
export function relationFactory(name: string, columns: [string, number][]): Pgoutput.MessageRelation {
  return {
    tag: 'relation',
    relationOid: 1,
    schema: 'public',
    name,
    replicaIdentity: 'full',
    columns: columns.map(([column, typeOid], index) => ({
      name: column,
      flags: index === 0 ? 1 : 0,
      typeOid,
      typeMod: -1,
      typeSchema: null,
      typeName: null,
      parser: (text: unknown) => text,
    })),
    keyColumns: [columns[0]![0]],
  };
}

/** One transaction's messages: begin, the changes, commit ending at `endLsn`. */
export function transactionFactory(changes: Pgoutput.Message[], endLsn: string): Pgoutput.Message[] {
  return [
    { tag: 'begin', commitLsn: endLsn, commitTime: 1_732_360_000_000_000n, xid: 7 },
    ...changes,
    { tag: 'commit', flags: 0, commitLsn: endLsn, commitEndLsn: endLsn, commitTime: 1_732_360_000_000_000n },
  ];
}
