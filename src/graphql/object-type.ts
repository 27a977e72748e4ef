import { ObjectType as TypeGraphQLObjectType, ObjectTypeOptions } from 'type-graphql';

/**
 * Every output type of this schema: type-graphql's @ObjectType with `simpleResolvers`, so a
 * plain field is read by graphql-js's default resolver, as from any plain object. Without
 * it type-graphql wraps each field of each node in a middleware runner, which a 50-node page
 * pays some 700 times. This schema has no field-level middleware or @Authorized (roles are
 * checked on the root fields), so the wrapper would never do anything; a field with its own
 * @FieldResolver is unaffected. test/unit/graphql-auth.test.ts checks both.
 */
export const ObjectType = (options: ObjectTypeOptions = {}): ClassDecorator => TypeGraphQLObjectType({ ...options, simpleResolvers: true });
