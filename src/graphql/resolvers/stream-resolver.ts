import { GraphQLResolveInfo, locatedError, responsePathAsArray } from 'graphql';
import { Args, ArgsType, Authorized, Field, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import type { TurnListener } from '../../sessions/session-service';
import { Context } from '../context';
import { EventChannel } from '../event-channel';
import { toGqlMessage, toGqlSession } from '../mappers';
import { SendMessageStreamEvent } from '../stream-types';

@ArgsType()
class SendMessageStreamArgs {
  @Field(() => ID) sessionId!: string;
  @Field(() => String) content!: string;
  @Field(() => ID, { description: 'Required: subscribing again with the same id replays the turn (nothing new is written)' })
  clientMessageId!: string;
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
  ctx.services.sessions.sendMessageStream(ctx.viewer!, args.sessionId, args.content, args.clientMessageId, listener).then(
    (turn) => {
      channel.push(event({ reply: toGqlMessage(turn.reply), session: toGqlSession(turn.session) }));
      channel.end();
    },
    // Located like a resolver's error, so that clients see the same path and code as over HTTP.
    (error) => channel.fail(locatedError(error, info.fieldNodes, responsePathAsArray(info.path))),
  );
  return channel;
}
