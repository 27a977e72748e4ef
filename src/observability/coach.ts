import { performance } from 'node:perf_hooks';
import type { Coach, CoachTurn, ResultRequest, SummaryRequest, TitleRequest, UsageSink, WelcomeBackTurn } from '../coach/port';
import { replyPieces } from '../coach/stream';
import type { Topic } from '../domain/topic';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';

/** Latency and failures of every coach call to metrics and logs (never the conversation); errors rethrown unchanged. */
export function measuredCoach(inner: Coach, metrics: Metrics, log: Logger): Coach {
  type Call = 'opening' | 'reply' | 'replyStream' | 'welcomeBack' | 'extractResult' | 'summarize' | 'title';
  /** One call's sample when it ends: its duration (of the whole stream, for replyStream) and outcome. */
  const timer = (call: Call, topicId: string) => {
    const started = performance.now();
    return {
      ok: () => observe('ok'),
      failed: (e: unknown) => {
        observe('error');
        log.warn('coach call failed', { coach: inner.name, call, topic: topicId, error: e instanceof Error ? e.name + ': ' + e.message : String(e) });
      },
      firstPiece: () => metrics.coachFirstPiece.observe({ coach: inner.name }, (performance.now() - started) / 1000),
    };
    function observe(outcome: 'ok' | 'error') {
      const labels = { coach: inner.name, call, outcome };
      metrics.coachRequests.inc(labels);
      metrics.coachDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };
  const measure = async <T>(call: Call, topicId: string, fn: () => Promise<T>): Promise<T> => {
    const sample = timer(call, topicId);
    try {
      const text = await fn();
      sample.ok();
      return text;
    } catch (e) {
      sample.failed(e);
      throw e;
    }
  };
  /** A streamed reply: the time to its first piece, and the whole stream as one call (a stream left unread counts as an error). */
  async function* measureStream(turn: CoachTurn): AsyncGenerator<string> {
    const sample = timer('replyStream', turn.topic.id);
    let pieces = 0;
    let ended = false;
    try {
      for await (const piece of replyPieces(inner, turn)) {
        if (pieces++ === 0) sample.firstPiece();
        yield piece;
      }
      ended = true;
      sample.ok();
    } catch (e) {
      ended = true;
      sample.failed(e);
      throw e;
    } finally {
      if (!ended) sample.failed(new Error('the stream was abandoned before its end'));
    }
  }
  /** Every usage report counted (coach_tokens_total), then passed on. */
  const tokens = (call: Call, sink: UsageSink | undefined): UsageSink => (u) => {
    metrics.coachTokens.inc({ coach: inner.name, call, direction: 'input' }, u.inputTokens);
    metrics.coachTokens.inc({ coach: inner.name, call, direction: 'output' }, u.outputTokens);
    sink?.(u);
  };
  return {
    get name() {
      return inner.name;
    },
    opening: (topic: Topic, signal?: AbortSignal, tenantId?: string, onUsage?: UsageSink) =>
      measure('opening', topic.id, () => inner.opening(topic, signal, tenantId, tokens('opening', onUsage))),
    reply: (turn: CoachTurn) => measure('reply', turn.topic.id, () => inner.reply({ ...turn, onUsage: tokens('reply', turn.onUsage) })),
    replyStream: (turn: CoachTurn) => measureStream({ ...turn, onUsage: tokens('replyStream', turn.onUsage) }),
    welcomeBack: (turn: WelcomeBackTurn) => measure('welcomeBack', turn.topic.id, () => inner.welcomeBack({ ...turn, onUsage: tokens('welcomeBack', turn.onUsage) })),
    extractResult: (request: ResultRequest) => measure('extractResult', request.topic.id, () => inner.extractResult({ ...request, onUsage: tokens('extractResult', request.onUsage) })),
    summarize: (request: SummaryRequest) => measure('summarize', request.topic.id, () => inner.summarize({ ...request, onUsage: tokens('summarize', request.onUsage) })),
    title: (request: TitleRequest) => measure('title', request.topic.id, () => inner.title({ ...request, onUsage: tokens('title', request.onUsage) })),
  };
}
