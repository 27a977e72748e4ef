/** The repository contract (test/contract/) against DynamoDB Local, as the in-memory fake runs it (test/unit/memory-repository.test.ts). */
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { sessionRepositoryContract } from '../contract/session-repository.contract';
import { createTestTable, TestTable } from '../support/dynamo';
import { bySk, scanAll } from '../support/store-helpers';

let table: TestTable;

sessionRepositoryContract('DynamoDB', {
  setUp: async () => {
    table = await createTestTable();
  },
  tearDown: () => table.drop(),
  make: () => new DynamoSessionRepository(table.doc, table.tableName),
  // The whole table, in key order (one table for the suite; its tests run one at a time).
  snapshot: async () => (await scanAll(table)).sort((a, b) => String(a.pk).localeCompare(String(b.pk)) || bySk(a, b)),
});
