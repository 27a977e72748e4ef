/**
 * The in-memory repository is the ground the service's unit tests stand on: it runs the
 * repository contract (test/contract/), as DynamoDB does (test/store/dynamo-repository.test.ts).
 * Its own test hooks are checked here.
 */
import { MemorySessionRepository } from '../support/memory-repository';
import { sessionRepositoryContract } from '../contract/session-repository.contract';

sessionRepositoryContract('in memory', { make: () => new MemorySessionRepository(), snapshot: async (repo) => (repo as MemorySessionRepository).snapshot() });

test('failNext injects one fault; calls are counted', async () => {
  const repo = new MemorySessionRepository();
  repo.failNext('ping', new Error('down'));
  await expect(repo.ping()).rejects.toThrow('down');
  await expect(repo.ping()).resolves.toBeUndefined();
  expect(repo.calls.ping).toBe(2);
});
