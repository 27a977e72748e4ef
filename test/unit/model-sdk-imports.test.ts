// The use cases are unit-tested without I/O, and configuration is read without choosing an
// adapter: importing either must not load a model SDK (the composition root, app.ts, does).
import '../../src/compose';
import '../../src/config';

/** Paths of the modules loaded so far in this test file's registry (jest's require.cache reflects it). */
const loaded = () => Object.keys(require.cache);
const loads = (pkg: string) => loaded().some((path) => path.includes(`/node_modules/${pkg}/`));

test('importing the use cases and the configuration loads neither openai nor the Bedrock client', () => {
  expect(loaded().some((path) => path.endsWith('/src/compose.ts'))).toBe(true);
  expect(loaded().some((path) => path.endsWith('/src/config.ts'))).toBe(true);
  expect(loads('openai')).toBe(false);
  expect(loads('@aws-sdk/client-bedrock-runtime')).toBe(false);
});

test('the check sees a model SDK once something imports one (the adapters\' factory does)', () => {
  require('../../src/coach/factory');
  expect(loads('openai')).toBe(true);
  expect(loads('@aws-sdk/client-bedrock-runtime')).toBe(true);
});
