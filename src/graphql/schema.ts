import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { authChecker } from './auth';
import { SessionResolver } from './resolvers/session-resolver';
import { TopicResolver } from './resolvers/topic-resolver';
import { AdminResolver } from './resolvers/admin-resolver';
import { TopicAdminResolver } from './resolvers/topic-admin-resolver';
import { UserDataResolver } from './resolvers/user-data-resolver';

let built: GraphQLSchema | undefined;

/** Built once per process (never per request). */
export function buildSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [SessionResolver, TopicResolver, AdminResolver, TopicAdminResolver, UserDataResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    authChecker,
    // Inputs are validated by the service, which owns the rules and their error codes; type-graphql's
    // own validation (class-validator, not installed) stays off, as by default.
    validate: false,
  });
  return built;
}

/** The SDL committed as schema.graphql; a test fails when it drifts from the code. */
export const printSdl = () => printSchema(lexicographicSortSchema(buildSchema())) + '\n';
