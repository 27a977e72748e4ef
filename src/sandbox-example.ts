/** The operation Sandbox opens with in development: the frontend's check -> start -> message flow. */
export const SANDBOX_EXAMPLE = `# 1. Does the caller have a session to resume, or does someone else hold the topic?
query Check {
  sessionCheck(topicId: "core_values") { hasSession sessionId status isIdle conflict conflictUserId }
}

# 2. Resume or start (atomic; another user's live session gives SESSION_CONFLICT)
mutation Start {
  startSession(topicId: "core_values") {
    id status isIdle idleSince expiresAt messageCount
    messages(last: 10) { edges { node { role content createdAt } } }
  }
}

# 3. Talk to the coach (paste the session id)
mutation Send($sessionId: ID!) {
  sendMessage(sessionId: $sessionId, content: "I feel most myself when I help a colleague grow.", clientMessageId: "msg-1") {
    message { content }
    reply { content }
    session { messageCount expiresAt }
  }
}

query Topics {
  topics { id name description myStatus settings { inactivityTimeoutMinutes activeTtlSeconds terminalTtlSeconds } }
}
`;
