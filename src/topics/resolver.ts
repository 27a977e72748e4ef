import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ADMIN_ROLE, isAdmin, requireRoles } from '../graphql/auth';
import { Context } from '../graphql/context';
import { toGqlTopic, toGqlTopicResult } from '../graphql/mappers';
import { TopicResult } from '../user-data/types';
import { Topic, TopicStatus } from '../graphql/types';

/** Of these topics, those the caller has a live (ACTIVE or PAUSED) session of; none when that cannot be read. */
async function liveTopics(ctx: Context, topicIds: readonly string[]): Promise<ReadonlySet<string>> {
  const statuses = await ctx.loaders.topicStatus.loadMany(topicIds);
  return new Set(topicIds.filter((_, i) => statuses[i] === TopicStatus.IN_PROGRESS || statuses[i] === TopicStatus.PAUSED));
}

/** Instructions and result schema are configuration, shown to admins only; fields trust their @Authorized root. */
@Resolver(() => Topic)
export class TopicResolver {
  @Authorized()
  @Query(() => [Topic], { description: "Your tenant's topic catalogue, with the caller's progress in each" })
  async topics(
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false, description: 'Admin: archived topics too' }) includeArchived: boolean,
    @Ctx() ctx: Context,
  ): Promise<Topic[]> {
    if (includeArchived) requireRoles(ctx.viewer, [ADMIN_ROLE]);
    // An archived topic stays listed for whoever still has a session of it in progress: the same one Query myStatus uses.
    return (await ctx.services.topicAdmin.list(ctx.viewer!, includeArchived, (ids) => liveTopics(ctx, ids))).map(toGqlTopic);
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
