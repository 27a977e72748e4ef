import { Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Context } from '../context';
import { toGqlTopic } from '../mappers';
import { Topic, TopicStatus } from '../types';

@Authorized()
@Resolver(() => Topic)
export class TopicResolver {
  @Query(() => [Topic], { description: 'The topic catalogue, with the caller\'s progress in each' })
  topics(@Ctx() ctx: Context): Topic[] {
    return ctx.services.topics.topics.map(toGqlTopic);
  }

  @FieldResolver(() => TopicStatus, { description: "The caller's progress: NOT_STARTED, IN_PROGRESS, PAUSED, COMPLETED" })
  async myStatus(@Root() topic: Topic, @Ctx() ctx: Context): Promise<TopicStatus> {
    return (await ctx.loaders.topicStatus.load(topic.id)) as TopicStatus;
  }
}
