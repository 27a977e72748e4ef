import type { EmbeddedDynamo } from '../../src/embedded/dynamo-local';

/** Runs also when tests failed: the Java child must never outlive the run. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __DYNAMO__?: EmbeddedDynamo }).__DYNAMO__?.stop();
}
