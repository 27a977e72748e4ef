/**
 * exportMyData's cursor in the user's mention partition, which also lists their transfer
 * copies (myTransfers): a page that stops among them must resume from there.
 */
import { TableIO } from '../../src/store/table-io';
import { UserExport } from '../../src/store/user-export';
import { userTransferGsiSk } from '../../src/store/items/transfer';

const ID = 'ses_01KDWCJ2M00000000000000001';
const cursor = (state: object) => Buffer.from(JSON.stringify(state)).toString('base64url');

test('a position at a transfer copy resumes; a forged one is still refused', async () => {
  const queries: unknown[] = [];
  const io = { query: async (input: unknown) => (queries.push(input), []) } as unknown as TableIO;
  const exporter = new UserExport(io);
  const at = userTransferGsiSk(Date.UTC(2026, 2, 3, 10, 0, 0, 250), ID, 7);
  await expect(exporter.page('t', 'uma', { limit: 10, cursor: cursor({ p: 'm', o: at }) }, 0)).resolves.toEqual({ records: [], cursor: null });
  expect(JSON.stringify(queries[0])).toContain(at);
  await expect(exporter.page('t', 'uma', { limit: 10, cursor: cursor({ p: 'm', o: `${at}#x` }) }, 0)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
});
