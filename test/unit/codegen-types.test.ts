/**
 * The generated types a frontend compiles against: an ID is a string, as a variable and in a
 * result, in every target of codegen.yml (the tests' documents, the demo's typed strings, the
 * documented frontend set-up).
 * The type assertions are checked by `npm run typecheck`; the test checks the configuration.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SendMessageMutationVariables, SessionCheckQuery, SessionCheckQueryVariables } from '../generated/graphql/graphql';
import type { SessionCheckQueryVariables as WebSessionCheckVariables, StartSessionMutation as WebStartSession } from '../../web/generated/graphql';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const idTypes: [
  Same<SessionCheckQueryVariables['topicId'], string>,
  Same<SendMessageMutationVariables['clientMessageId'], string | null | undefined>,
  Same<SessionCheckQuery['sessionCheck']['sessionId'], string | null>,
  Same<WebSessionCheckVariables['topicId'], string>,
  Same<WebStartSession['startSession']['id'], string>,
] = [true, true, true, true, true];

// @ts-expect-error a number is not an ID
const numeric: SessionCheckQueryVariables = { topicId: 42 };

test('codegen.yml maps ID to string for every generated target', () => {
  expect(idTypes.every(Boolean)).toBe(true);
  expect(numeric.topicId).toBe(42);
  const config = readFileSync(join(__dirname, '..', '..', 'codegen.yml'), 'utf8');
  const targets = config.split(/^ {2}(?=\S.*\/:\s*$)/m).slice(1);
  expect(targets.map((t) => t.split('\n')[0])).toEqual(['test/generated/graphql/:', 'web/generated/:', 'docs/clients/generated/:']);
  for (const target of targets) expect(target).toMatch(/scalars:\n(?:\s+#.*\n)*\s+ID: string\n/);
});
