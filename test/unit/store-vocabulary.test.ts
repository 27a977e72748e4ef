/**
 * The table's vocabulary lives in one module per item type (src/store/items/), beside the
 * generic helpers (schema.ts) and the key layout (keys.ts): no other store file spells an
 * expression, a condition or a name placeholder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const STORE = join(__dirname, '../../src/store');
const VOCABULARY = new Set(['schema.ts', 'keys.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const SPELLED = [
  { what: 'an expression built in place', re: /\bexpr\(/ },
  { what: 'an expression parameter given as text', re: /\b(Condition|Update|Filter|KeyCondition|Projection)Expression:\s*['"`]/ },
  { what: 'expression names or values given directly', re: /\bExpressionAttribute(Names|Values)\s*:/ },
  { what: 'a condition function', re: /['"`][^'"`\n]*\b(attribute_not_exists|attribute_exists|attribute_type|begins_with|if_not_exists)\(/ },
  { what: 'a name placeholder', re: /['"`]#[a-zA-Z]\w*['"`]/ },
  { what: 'an item type', re: /\btype:\s*['"`][A-Z_]+['"`]/ },
];

const outside = sources(STORE).filter((path) => {
  const rel = relative(STORE, path);
  return !rel.startsWith('items/') && !VOCABULARY.has(rel);
});

test('store files besides items/, schema.ts and keys.ts exist to be checked', () => {
  expect(outside.map((p) => relative(STORE, p))).toEqual(expect.arrayContaining(['dynamo-session-repository.ts', 'transactions.ts', 'erasure.ts', 'redaction.ts', 'user-export.ts']));
});

test.each(SPELLED)('no store file outside items/ spells $what', ({ re }) => {
  const offenders = outside.flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, at: `${relative(STORE, path)}:${i + 1}` }))
      .filter(({ line }) => !line.trimStart().startsWith('*') && !line.trimStart().startsWith('//') && re.test(line))
      .map(({ at, line }) => `${at}: ${line.trim()}`),
  );
  expect(offenders).toEqual([]);
});

test('each item module declares its type next to its toItem/fromItem', () => {
  const items = join(STORE, 'items');
  for (const [file, type] of Object.entries({ 'session.ts': 'SESSION', 'hold.ts': 'HOLD', 'message.ts': 'MESSAGE', 'client-message.ts': 'CLIENT_MESSAGE', 'transfer.ts': 'TRANSFER', 'mention.ts': 'MENTION', 'outcome.ts': 'OUTCOME', 'erasure-audit.ts': 'ERASURE' })) {
    expect(readFileSync(join(items, file), 'utf8')).toContain(`export const ${type} = '${type}';`);
  }
});
