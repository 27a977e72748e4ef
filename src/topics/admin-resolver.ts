import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '../graphql/auth';
import { Context } from '../graphql/context';
import { toGqlTopic } from '../graphql/mappers';
import { TopicInput, TopicUpdateInput } from './admin-types';
import { Topic } from '../graphql/types';

/** Topic administration (docs/administration.md): admins only; the service validates. */
@Authorized(ADMIN_ROLE)
@Resolver()
export class TopicAdminResolver {
  @Mutation(() => Topic, { description: 'Admin: add a topic for your tenant' })
  async createTopic(@Arg('input', () => TopicInput) input: TopicInput, @Ctx() ctx: Context): Promise<Topic> {
    return toGqlTopic(await ctx.services.topicAdmin.create(ctx.viewer!, { ...input }));
  }

  @Mutation(() => Topic, { description: "Admin: change a topic for your tenant (a default one too: your tenant's copy overrides it)" })
  async updateTopic(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => TopicUpdateInput) input: TopicUpdateInput,
    @Ctx() ctx: Context,
  ): Promise<Topic> {
    return toGqlTopic(await ctx.services.topicAdmin.update(ctx.viewer!, id, { ...input }));
  }

  @Mutation(() => Topic, { description: 'Admin: no new sessions of this topic in your tenant; live ones continue' })
  async archiveTopic(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Topic> {
    return toGqlTopic(await ctx.services.topicAdmin.archive(ctx.viewer!, id, true));
  }

  @Mutation(() => Topic, { description: 'Admin: offer an archived topic again' })
  async unarchiveTopic(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Topic> {
    return toGqlTopic(await ctx.services.topicAdmin.archive(ctx.viewer!, id, false));
  }
}
