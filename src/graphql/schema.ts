import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { AuthChecker, buildSchemaSync } from 'type-graphql';
import { Context } from './context';
import { unauthenticated } from '../auth/verifier';
import { SessionResolver } from './resolvers/session-resolver';
import { TopicResolver } from './resolvers/topic-resolver';
import { AdminResolver } from './resolvers/admin-resolver';
import { TopicAdminResolver } from './resolvers/topic-admin-resolver';

/** Every operation needs a verified caller; a bad token was already refused when the context was built. */
const authChecker: AuthChecker<Context> = ({ context }) => {
  if (!context.viewer) throw unauthenticated();
  return true;
};

let built: GraphQLSchema | undefined;

/** Built once per process (never per request). */
export function buildSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [SessionResolver, TopicResolver, AdminResolver, TopicAdminResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    authChecker,
    // Inputs are validated by the service, which owns the rules and their error codes.
    validate: false,
  });
  return built;
}

/** The SDL committed as schema.graphql; a test fails when it drifts from the code. */
export const printSdl = () => printSchema(lexicographicSortSchema(buildSchema())) + '\n';
