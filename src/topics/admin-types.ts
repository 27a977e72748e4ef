import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';

// Bounds as for TOPICS_FILE (docs/configuration.md#topics).

@InputType({ description: 'Admin: the fields of a topic. Absent fields take the TOPICS_FILE defaults' })
export class TopicInput {
  @Field(() => ID, { description: 'Lowercase letters, digits, "_" or "-" (at most 64); new for the tenant' })
  id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true, description: "The coach's instructions (system prompt)" }) instructions?: string | null;
  @Field(() => String, { nullable: true, description: 'The first message of every new session' }) openingMessage?: string | null;
  @Field(() => Int, { nullable: true }) inactivityTimeoutMinutes?: number | null;
  @Field(() => Int, { nullable: true, description: 'Applies to a session from its next write' }) activeTtlSeconds?: number | null;
  @Field(() => Int, { nullable: true, description: 'Applies to a session from its next write' }) terminalTtlSeconds?: number | null;
  @Field(() => Int, { nullable: true, description: 'User messages per session; null: unlimited' }) maxTurns?: number | null;
  @Field(() => Boolean, { nullable: true, description: "The coach is told the user's outcomes of the tenant's other topics; null: the default (true)" })
  remembersOutcomes?: boolean | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'What completeSession extracts (a JSON Schema subset)' })
  resultSchema?: Record<string, unknown> | null;
}

@InputType({ description: 'Admin: a partial update; absent fields are unchanged, null clears an optional one (a setting: its default)' })
export class TopicUpdateInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => String, { nullable: true }) instructions?: string | null;
  @Field(() => String, { nullable: true }) openingMessage?: string | null;
  @Field(() => Int, { nullable: true }) inactivityTimeoutMinutes?: number | null;
  @Field(() => Int, { nullable: true, description: 'Applies to a session from its next write' }) activeTtlSeconds?: number | null;
  @Field(() => Int, { nullable: true, description: 'Applies to a session from its next write' }) terminalTtlSeconds?: number | null;
  @Field(() => Int, { nullable: true, description: 'User messages per session; null: unlimited' }) maxTurns?: number | null;
  @Field(() => Boolean, { nullable: true, description: "The coach is told the user's outcomes of the tenant's other topics; null: the default (true)" })
  remembersOutcomes?: boolean | null;
  @Field(() => GraphQLJSONObject, { nullable: true }) resultSchema?: Record<string, unknown> | null;
}
