import { requestIdOf } from '../../src/http/request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const idOf = (header: string | string[] | undefined) => requestIdOf({ headers: { 'x-request-id': header } });

test("the client's id is kept when it is a short token", () => {
  expect(idOf('req-123')).toBe('req-123');
  expect(idOf('a.b_c-D9')).toBe('a.b_c-D9');
  expect(idOf('x'.repeat(64))).toBe('x'.repeat(64));
});

test('otherwise a new UUID, a different one each time', () => {
  for (const bad of [undefined, '', 'x'.repeat(65), 'has space', 'new\nline', 'ünïcode', 'a/b', ['one', 'two']]) {
    expect(idOf(bad)).toMatch(UUID);
  }
  expect(idOf(undefined)).not.toBe(idOf(undefined));
});
