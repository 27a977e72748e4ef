import { GraphQLResolveInfo, locatedError, responsePathAsArray } from 'graphql';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { Context } from '../graphql/context';
import { toGqlMessage, toGqlSession } from '../graphql/mappers';
import { Message, SendMessagePayload } from '../graphql/types';
import { EventChannel } from './event-channel';
import type { TurnListener } from './live-replies';
import { SendMessageStreamEvent } from './stream-types';
import { MessageReply, MessageReplyStatus, PostMessagePayload } from './types';

/** The conversation (docs/contract.md, docs/streaming.md): one use-case call each; the viewer comes from the token. */
@Resolver()
export class ConversationResolver {
  @Authorized()
  @Mutation(() => SendMessagePayload, { description: 'Send a message and get the coach\'s reply. A repeated clientMessageId returns the first result' })
  async sendMessage(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('content', () => String) content: string,
    @Arg('clientMessageId', () => ID, { nullable: true }) clientMessageId: string | null,
    @Ctx() ctx: Context,
  ): Promise<SendMessagePayload> {
    const r = await ctx.services.conversation.sendMessage(ctx.viewer!, sessionId, content, clientMessageId ?? null);
    return { session: toGqlSession(r.session), message: toGqlMessage(r.message), reply: toGqlMessage(r.reply) };
  }

  @Authorized()
  @Mutation(() => Message, { description: "Rate a coach message of your active session (1-5, an optional comment); a later rating replaces it" })
  async rateReply(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('messageId', () => ID) messageId: string,
    @Arg('rating', () => Int) rating: number,
    @Arg('comment', () => String, { nullable: true }) comment: string | null,
    @Ctx() ctx: Context,
  ): Promise<Message> {
    return toGqlMessage(await ctx.services.feedback.rate(ctx.viewer!, sessionId, messageId, rating, comment ?? null));
  }

  @Authorized()
  @Mutation(() => Message, {
    description:
      "Replace the latest coach reply of your ACTIVE session with a new one (a new id, answering the same message; not a turn). A repeated clientMessageId returns the same new reply",
  })
  async regenerateReply(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('messageId', () => ID) messageId: string,
    @Arg('clientMessageId', () => ID, { nullable: true }) clientMessageId: string | null,
    @Ctx() ctx: Context,
  ): Promise<Message> {
    return toGqlMessage((await ctx.services.regenerate.regenerate(ctx.viewer!, sessionId, messageId, clientMessageId ?? null)).reply);
  }

  @Authorized()
  @Mutation(() => PostMessagePayload, {
    description: "Store a message and return at once; the coach's reply follows in the background (poll messageReply). A repeated clientMessageId writes nothing new",
  })
  async postMessage(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('content', () => String) content: string,
    @Arg('clientMessageId', () => ID, { nullable: true }) clientMessageId: string | null,
    @Ctx() ctx: Context,
  ): Promise<PostMessagePayload> {
    const r = await ctx.services.conversation.postMessage(ctx.viewer!, sessionId, content, clientMessageId ?? null);
    return { session: toGqlSession(r.session), message: toGqlMessage(r.message), clientMessageId: r.clientMessageId, replyPending: r.replyPending };
  }

  @Authorized()
  @Query(() => MessageReply, { description: "Where the coach's reply to one of your messages stands (after postMessage): a few reads" })
  async messageReply(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('messageId', () => ID) messageId: string,
    @Ctx() ctx: Context,
  ): Promise<MessageReply> {
    const r = await ctx.services.conversation.messageReply(ctx.viewer!, sessionId, messageId);
    return { status: r.status as MessageReplyStatus, reply: r.reply ? toGqlMessage(r.reply) : null };
  }
}

@ArgsType()
class SendMessageStreamArgs {
  @Field(() => ID) sessionId!: string;
  @Field(() => String) content!: string;
  @Field(() => ID, { description: 'Required: subscribing again with the same id replays the turn (nothing new is written)' })
  clientMessageId!: string;
}

@ArgsType()
class RegenerateReplyStreamArgs {
  @Field(() => ID) sessionId!: string;
  @Field(() => ID) messageId!: string;
  @Field(() => ID, { nullable: true, description: 'Subscribing again with the same id follows or replays the same new reply (no second model call)' })
  clientMessageId!: string | null;
}

/** GraphQL subscriptions (served over graphql-ws at /graphql, src/http/subscriptions.ts). */
@Authorized()
@Resolver()
export class StreamResolver {
  @Subscription(() => SendMessageStreamEvent, {
    description:
      "sendMessage, streamed: the stored message, the coach's reply in pieces as it is written, then the stored reply. Same rules and error codes as sendMessage; the reply is stored even if the stream is dropped, and subscribing again with the same clientMessageId replays it",
    subscribe: ({ args, context, info }: SubscribeResolverData<unknown, SendMessageStreamArgs, Context>) => turnEvents(context, args, info),
  })
  sendMessageStream(@Root() event: SendMessageStreamEvent, @Args(() => SendMessageStreamArgs) _args: SendMessageStreamArgs): SendMessageStreamEvent {
    return event;
  }

  @Subscription(() => SendMessageStreamEvent, {
    description:
      "regenerateReply, streamed: the new reply in pieces (`delta`), then the stored reply (`reply`, with the session); no `message` event. Same rules and error codes as regenerateReply",
    subscribe: ({ args, context, info }: SubscribeResolverData<unknown, RegenerateReplyStreamArgs, Context>) => regenerateEvents(context, args, info),
  })
  regenerateReplyStream(@Root() event: SendMessageStreamEvent, @Args(() => RegenerateReplyStreamArgs) _args: RegenerateReplyStreamArgs): SendMessageStreamEvent {
    return event;
  }
}

const streamEvent = (fields: Partial<SendMessageStreamEvent>): SendMessageStreamEvent => ({ message: null, delta: null, reply: null, session: null, ...fields });

/** The regenerate's events: pieces, then the stored reply; it goes on if the subscriber leaves. */
function regenerateEvents(ctx: Context, args: RegenerateReplyStreamArgs, info: GraphQLResolveInfo): AsyncIterable<SendMessageStreamEvent> {
  const channel = new EventChannel<SendMessageStreamEvent>();
  const listener = { delta: (text: string) => channel.push(streamEvent({ delta: text })), gone: () => channel.isClosed };
  ctx.services.regenerate.regenerate(ctx.viewer!, args.sessionId, args.messageId, args.clientMessageId ?? null, listener).then(
    (r) => {
      channel.push(streamEvent({ reply: toGqlMessage(r.reply), session: toGqlSession(r.session) }));
      channel.end();
    },
    (error) => channel.fail(locatedError(error, info.fieldNodes, responsePathAsArray(info.path))),
  );
  return channel;
}

/** The turn's events, from the service's listener; the turn goes on if the subscriber leaves. */
function turnEvents(ctx: Context, args: SendMessageStreamArgs, info: GraphQLResolveInfo): AsyncIterable<SendMessageStreamEvent> {
  const channel = new EventChannel<SendMessageStreamEvent>();
  const event = (fields: Partial<SendMessageStreamEvent>): SendMessageStreamEvent => ({ message: null, delta: null, reply: null, session: null, ...fields });
  const listener: TurnListener = {
    message: (message, session) => channel.push(event({ message: toGqlMessage(message), session: toGqlSession(session) })),
    delta: (text) => channel.push(event({ delta: text })),
    gone: () => channel.isClosed,
  };
  ctx.services.conversation.streamMessage(ctx.viewer!, args.sessionId, args.content, args.clientMessageId, listener).then(
    (turn) => {
      channel.push(event({ reply: toGqlMessage(turn.reply), session: toGqlSession(turn.session) }));
      channel.end();
    },
    // Located like a resolver's error, so that clients see the same path and code as over HTTP.
    (error) => channel.fail(locatedError(error, info.fieldNodes, responsePathAsArray(info.path))),
  );
  return channel;
}
