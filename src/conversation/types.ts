import { Field, ID, registerEnumType } from 'type-graphql';
import { ObjectType } from '../graphql/object-type';
import { CoachingSession, Message } from '../graphql/types';

/** postMessage and messageReply (docs/coach.md): a reply that does not hold the request open. */
export enum MessageReplyStatus {
  PENDING = 'PENDING',
  READY = 'READY',
  FAILED = 'FAILED',
}
registerEnumType(MessageReplyStatus, {
  name: 'MessageReplyStatus',
  description: 'PENDING: being produced; READY: stored; FAILED: no reply is coming (retry sendMessage with the same clientMessageId)',
});

@ObjectType()
export class PostMessagePayload {
  @Field(() => CoachingSession) session!: CoachingSession;
  @Field(() => Message, { description: "The caller's message as stored" }) message!: Message;
  @Field(() => ID, { description: 'The id to retry with (generated when none was given)' }) clientMessageId!: string;
  @Field({ description: "True while the coach's reply is being produced in the background: poll messageReply" })
  replyPending!: boolean;
}

@ObjectType()
export class MessageReply {
  @Field(() => MessageReplyStatus) status!: MessageReplyStatus;
  @Field(() => Message, { nullable: true, description: "The coach's reply, when READY" }) reply!: Message | null;
}
