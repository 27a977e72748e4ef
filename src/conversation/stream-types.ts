import { Field } from 'type-graphql';
import { ObjectType } from '../graphql/object-type';
import { CoachingSession, Message } from '../graphql/types';

/** One event of sendMessageStream (docs/streaming.md): exactly one of message, delta or reply is set. */
@ObjectType({ description: 'One event of sendMessageStream: first `message`, then `delta` pieces, then `reply`' })
export class SendMessageStreamEvent {
  @Field(() => Message, { nullable: true, description: "The first event: the caller's message as stored" })
  message!: Message | null;
  @Field(() => String, { nullable: true, description: "The middle events: a piece of the coach's reply; the pieces concatenate to reply.content" })
  delta!: string | null;
  @Field(() => Message, { nullable: true, description: "The last event: the coach's reply as stored (the stream then completes)" })
  reply!: Message | null;
  @Field(() => CoachingSession, { nullable: true, description: 'With message and with reply: the session after that write (turnCount, messageCount, ...)' })
  session!: CoachingSession | null;
}

/** A delta event's text, or null for the others: delta events are executed once per subscription (src/graphql/event-template.ts). */
export const deltaText = (event: unknown): string | null => {
  const e = event as Partial<SendMessageStreamEvent> | null;
  return !e || typeof e.delta !== 'string' || e.message || e.reply || e.session ? null : e.delta;
};
