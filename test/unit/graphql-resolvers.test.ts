import { ApolloServer } from '@apollo/server';
import { defaultFieldResolver, GraphQLSchema, isObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { buildSchema } from '../../src/schema';
import { leanPlugins } from '../../src/http/graphql-handler';
import { createOperationObserver } from '../../src/observability/plugin';
import { silentLogger } from '../../src/logger';

// A 50-node page resolves some 700 fields: each plain field must cost what it costs on a plain
// object (graphql-js's default resolver), with no per-field wrapper from type-graphql or Apollo.
// This file builds its own schema (jest gives each file fresh modules).

/** Fields of output types that have a resolver other than graphql-js's default and are no @FieldResolver. */
function wrappedFields(schema: GraphQLSchema): string[] {
  const fieldResolvers = new Set(getMetadataStorage().fieldResolvers.map((f) => f.methodName));
  const wrapped: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type === schema.getQueryType() || type === schema.getMutationType() || type === schema.getSubscriptionType()) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.resolve && field.resolve !== defaultFieldResolver && !fieldResolvers.has(field.name)) wrapped.push(`${type.name}.${field.name}`);
    }
  }
  return wrapped;
}

test("type-graphql adds no per-field wrapper: plain fields use graphql-js's default resolver", () => {
  expect(wrappedFields(buildSchema())).toEqual([]);
  // The check does look: the session fields are there, with their own resolvers only where there is a @FieldResolver.
  const session = buildSchema().getType('CoachingSession');
  expect(isObjectType(session) && Object.keys(session.getFields())).toEqual(expect.arrayContaining(['id', 'createdAt', 'topic', 'messages']));
});

test("the server's Apollo plugins leave the fields alone; Apollo's default cache-control plugin would wrap every one", async () => {
  const observer = createOperationObserver({ log: silentLogger });
  const lean = new ApolloServer({ schema: buildSchema(), plugins: [...leanPlugins(), observer.plugin] });
  await lean.start();
  await lean.executeOperation({ query: '{ __typename }' });
  expect(wrappedFields(buildSchema())).toEqual([]);
  await lean.stop();
  // Apollo instruments a schema in place, at its first request, when a plugin resolves per field (cache control does by default).
  const defaults = new ApolloServer({ schema: buildSchema() });
  await defaults.start();
  await defaults.executeOperation({ query: '{ __typename }' });
  expect(wrappedFields(buildSchema()).length).toBeGreaterThan(50);
  await defaults.stop();
});
