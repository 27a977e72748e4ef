import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, Kind, parse, validate } from 'graphql';

// Every GraphQL operation shown in the README must run against the committed schema,
// so the examples people paste into Sandbox do not rot.
const root = join(__dirname, '..', '..');
const schema = buildSchema(readFileSync(join(root, 'schema.graphql'), 'utf8'));
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has GraphQL examples', () => {
  expect(blocks.length).toBeGreaterThan(5);
});

test.each(blocks.map((b, i) => [i, b] as const))('README example %i validates against schema.graphql', (_i, block) => {
  const doc = parse(block);
  // Blocks that quote the schema itself (type definitions) are checked by the schema tests.
  if (doc.definitions.some((d) => d.kind !== Kind.OPERATION_DEFINITION && d.kind !== Kind.FRAGMENT_DEFINITION)) return;
  expect(validate(schema, doc).map((e) => e.message)).toEqual([]);
});
