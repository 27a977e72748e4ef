import { ObjectType as TypeGraphQLObjectType, ObjectTypeOptions } from 'type-graphql';

/**
 * @ObjectType with `simpleResolvers`: no per-field middleware runner, which a 50-node page would
 * pay some 700 times. Roles are checked on root fields only (test/unit/graphql-auth.test.ts).
 */
export const ObjectType = (options: ObjectTypeOptions = {}): ClassDecorator => TypeGraphQLObjectType({ ...options, simpleResolvers: true });
