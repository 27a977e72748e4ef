import { startEmbeddedDynamo } from '../../src/embedded/dynamo-local';

/** Starts the run's one DynamoDB Local (in memory); its endpoint reaches every worker through the environment. */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamo = await startEmbeddedDynamo({ javaHome: process.env.JAVA_HOME });
  process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __DYNAMO__?: typeof dynamo }).__DYNAMO__ = dynamo;
}
