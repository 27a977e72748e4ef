/** The repository contract (test/contract/) against DynamoDB Local, as the in-memory fake runs it (test/unit/memory-repository.test.ts). */
import { DynamoSessionRepository } from '../../src/store/dynamo-session-repository';
import { sessionRepositoryContract } from '../contract/session-repository.contract';
import { createTestTable, TestTable } from '../support/dynamo';

let table: TestTable;

sessionRepositoryContract('DynamoDB', {
  setUp: async () => {
    table = await createTestTable();
  },
  tearDown: () => table.drop(),
  make: () => new DynamoSessionRepository(table.doc, table.tableName),
});
