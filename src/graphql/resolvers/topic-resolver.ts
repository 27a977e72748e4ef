import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Context } from '../context';
import { toGqlTopic } from '../mappers';
import { Topic, TopicStatus } from '../types';

@Authorized()
@Resolver(() => Topic)
export class TopicResolver {
  @Query(() => [Topic], { description: "Your tenant's topic catalogue, with the caller's progress in each" })
  async topics(
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false, description: 'Admin: archived topics too' }) includeArchived: boolean,
    @Ctx() ctx: Context,
  ): Promise<Topic[]> {
    return (await ctx.services.topicAdmin.list(ctx.viewer!, includeArchived)).map(toGqlTopic);
  }

  @FieldResolver(() => TopicStatus, { description: "The caller's progress: NOT_STARTED, IN_PROGRESS, PAUSED, COMPLETED" })
  async myStatus(@Root() topic: Topic, @Ctx() ctx: Context): Promise<TopicStatus> {
    return (await ctx.loaders.topicStatus.load(topic.id)) as TopicStatus;
  }
}
