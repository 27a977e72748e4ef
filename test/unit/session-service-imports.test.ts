// The service is unit-tested without I/O; importing it must not load a model SDK
// (config.ts -> coach/factory drags in openai and the Bedrock client).
import '../../src/sessions/session-service';

/** Paths of the modules loaded so far in this test file's registry (jest's require.cache reflects it). */
const loaded = () => Object.keys(require.cache);
const loads = (pkg: string) => loaded().some((path) => path.includes(`/node_modules/${pkg}/`));

test('importing the session service loads neither openai nor the Bedrock client', () => {
  expect(loaded().some((path) => path.endsWith('/src/sessions/session-service.ts'))).toBe(true);
  expect(loads('openai')).toBe(false);
  expect(loads('@aws-sdk/client-bedrock-runtime')).toBe(false);
});

test('the check sees a model SDK once something imports one (config.ts does)', () => {
  require('../../src/config');
  expect(loads('openai')).toBe(true);
  expect(loads('@aws-sdk/client-bedrock-runtime')).toBe(true);
});
