import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ADMIN_ROLE, isAdmin, requireRoles } from '../auth';
import { Context } from '../context';
import { toGqlTopic, toGqlTopicResult } from '../mappers';
import { TopicResult } from '../user-data-types';
import { Topic, TopicStatus } from '../types';

/** A topic's instructions and result schema are the tenant's configuration: shown to its admins only. */
@Authorized()
@Resolver(() => Topic)
export class TopicResolver {
  @Query(() => [Topic], { description: "Your tenant's topic catalogue, with the caller's progress in each" })
  async topics(
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false, description: 'Admin: archived topics too' }) includeArchived: boolean,
    @Ctx() ctx: Context,
  ): Promise<Topic[]> {
    if (includeArchived) requireRoles(ctx.viewer, [ADMIN_ROLE]);
    return (await ctx.services.topicAdmin.list(ctx.viewer!, includeArchived)).map(toGqlTopic);
  }

  @FieldResolver(() => String, { nullable: true, description: "Admin: the coach's instructions (its system prompt); null for others" })
  instructions(@Root() topic: Topic, @Ctx() ctx: Context): string | null {
    return isAdmin(ctx.viewer) ? topic.source.instructions : null;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Admin: what completeSession extracts (a JSON Schema subset); null for others' })
  resultSchema(@Root() topic: Topic, @Ctx() ctx: Context): Record<string, unknown> | null {
    return isAdmin(ctx.viewer) ? ((topic.source.resultSchema as Record<string, unknown> | null | undefined) ?? null) : null;
  }

  @FieldResolver(() => TopicStatus, {
    description: "The caller's progress: NOT_STARTED, IN_PROGRESS, PAUSED, COMPLETED (kept after the completed session expires, until they start the topic again)",
  })
  async myStatus(@Root() topic: Topic, @Ctx() ctx: Context): Promise<TopicStatus> {
    return (await ctx.loaders.topicStatus.load(topic.id)) as TopicStatus;
  }

  @FieldResolver(() => TopicResult, { nullable: true, description: "The caller's outcome of the topic (their latest completion); kept after the session expires" })
  async myResult(@Root() topic: Topic, @Ctx() ctx: Context): Promise<TopicResult | null> {
    const { result } = await ctx.loaders.topicProgress.load(topic.id);
    return result ? toGqlTopicResult(result) : null;
  }
}
