import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { authChecker } from './graphql/auth';
import { AdminResolver } from './admin/resolver';
import { ConversationResolver, StreamResolver } from './conversation/resolver';
import { LifecycleResolver } from './lifecycle/resolver';
import { SessionResolver } from './sessions/resolver';
import { TopicAdminResolver } from './topics/admin-resolver';
import { TopicResolver } from './topics/resolver';
import { TransferResolver } from './transfers/resolver';
import { UsageResolver } from './usage/resolver';
import { UserDataResolver } from './user-data/resolver';

let built: GraphQLSchema | undefined;

const NO_PUBSUB = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('no subscription here uses topics');
  },
};

/** Built once per process (never per request). */
export function buildSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [
      SessionResolver,
      LifecycleResolver,
      ConversationResolver,
      StreamResolver,
      TransferResolver,
      AdminResolver,
      UserDataResolver,
      TopicResolver,
      TopicAdminResolver,
      UsageResolver,
    ],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    authChecker,
    // Required once there are subscriptions; sendMessageStream makes its own events, so nothing is published.
    pubSub: NO_PUBSUB,
    // Inputs are validated by the service, which owns the rules and their error codes.
    validate: false,
  });
  return built;
}

/** The SDL committed as schema.graphql; a test fails when it drifts from the code. */
export const printSdl = () => printSchema(lexicographicSortSchema(buildSchema())) + '\n';
