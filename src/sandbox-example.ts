import { isLoopbackHost } from './demo/loopback';

/** The dev token goes into Sandbox only on a loopback-only HOST, else anyone could read it (docs/security.md#development-mode). */
export function sandboxFor(host: string | undefined, token: string | undefined): { document: string; headers?: Record<string, string> } {
  if (token === undefined || !isLoopbackHost(host)) return { document: SANDBOX_EXAMPLE };
  return { document: SANDBOX_EXAMPLE, headers: { Authorization: `Bearer ${token}` } };
}

/** The frontend's whole flow in order; operations/sessions.graphql has the same with fragments. */
export const SANDBOX_EXAMPLE = `# 1. The topics, with the caller's progress in each (a constant number of reads)
query Topics {
  topics { id name description myStatus settings { inactivityTimeoutMinutes activeTtlSeconds terminalTtlSeconds } }
}

# 2. Is there a session to resume, or does another user of the tenant hold the topic? (one read)
query Check {
  sessionCheck(topicId: "core_values") { hasSession sessionId status isIdle conflict conflictUserId }
}

# 3. Resume or start, atomically (another user's live session gives SESSION_CONFLICT)
mutation Start {
  startSession(topicId: "core_values") {
    id status isIdle idleSince lastActivityAt expiresAt messageCount
    messages(last: 10) { edges { node { role content createdAt } } }
  }
}

# 4. Talk to the coach. Variables: {"sessionId": "<id from Start>"}
#    Sending the same clientMessageId again returns the first result and writes nothing.
mutation Send($sessionId: ID!) {
  sendMessage(sessionId: $sessionId, content: "I feel most myself when I help a colleague grow.", clientMessageId: "msg-1") {
    message { role content }
    reply { role content }
    session { messageCount lastActivityAt expiresAt }
  }
}

# 5. The conversation, a page at a time (newest last)
query Conversation($sessionId: ID!) {
  session(id: $sessionId) {
    id status isIdle idleSince expiresAt messageCount
    messages(last: 20) { edges { cursor node { role content createdAt } } pageInfo { hasPreviousPage startCursor } }
  }
}

# 6. Pause, resume, complete (a completed session is read-only and frees the topic)
mutation Pause($sessionId: ID!) {
  pauseSession(sessionId: $sessionId) { id status lastActivityAt expiresAt }
}

mutation Resume($sessionId: ID!) {
  resumeSession(sessionId: $sessionId) { id status isIdle lastActivityAt expiresAt }
}

mutation Complete($sessionId: ID!) {
  completeSession(sessionId: $sessionId) { id status endedAt expiresAt turnCount result resultError }
}

#    Or post a message and poll for the reply (docs/coach.md). Variables: {"sessionId": "...", "messageId": "<message.id>"}
mutation Post($sessionId: ID!) {
  postMessage(sessionId: $sessionId, content: "Honesty matters most to me.", clientMessageId: "msg-2") {
    message { id content } clientMessageId replyPending session { turnCount maxTurns }
  }
}

query Reply($sessionId: ID!, $messageId: ID!) {
  messageReply(sessionId: $sessionId, messageId: $messageId) { status reply { role content } }
}

# 7. The caller's sessions, newest first
query MySessions {
  mySessions(first: 10) { edges { node { id topicId status lastActivityAt expiresAt } } pageInfo { hasNextPage endCursor } }
}
`;
