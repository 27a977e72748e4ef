import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { SANDBOX_EXAMPLE } from '../../src/sandbox-example';

const schema = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));

test("Sandbox's preloaded operations are valid against the committed schema and cover the frontend's flow", () => {
  const doc = parse(SANDBOX_EXAMPLE);
  expect(validate(schema, doc)).toEqual([]);
  const fields = new Set(
    doc.definitions.flatMap((d) => (d.kind === 'OperationDefinition' ? d.selectionSet.selections.map((s) => (s.kind === 'Field' ? s.name.value : '')) : [])),
  );
  for (const f of ['topics', 'sessionCheck', 'startSession', 'sendMessage', 'session', 'pauseSession', 'resumeSession', 'completeSession', 'mySessions']) {
    expect(fields).toContain(f);
  }
});
