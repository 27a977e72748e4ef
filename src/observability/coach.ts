import { performance } from 'node:perf_hooks';
import type { Coach, CoachTurn, ResultRequest, WelcomeBackTurn } from '../coach/port';
import type { Topic } from '../domain/topic';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';

/**
 * The coach port, measured: latency and failures of every call go to metrics (by
 * adapter, call and outcome), failures to the log (never the conversation). Errors are
 * rethrown unchanged, so the service still turns them into COACH_UNAVAILABLE.
 */
export function measuredCoach(inner: Coach, metrics: Metrics, log: Logger): Coach {
  const measure = async <T>(call: 'opening' | 'reply' | 'welcomeBack' | 'extractResult', topicId: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const text = await fn();
      observe('ok');
      return text;
    } catch (e) {
      observe('error');
      log.warn('coach call failed', { coach: inner.name, call, topic: topicId, error: e instanceof Error ? e.name + ': ' + e.message : String(e) });
      throw e;
    }
    function observe(outcome: 'ok' | 'error') {
      const labels = { coach: inner.name, call, outcome };
      metrics.coachRequests.inc(labels);
      metrics.coachDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };
  return {
    get name() {
      return inner.name;
    },
    opening: (topic: Topic) => measure('opening', topic.id, () => inner.opening(topic)),
    reply: (turn: CoachTurn) => measure('reply', turn.topic.id, () => inner.reply(turn)),
    welcomeBack: (turn: WelcomeBackTurn) => measure('welcomeBack', turn.topic.id, () => inner.welcomeBack(turn)),
    extractResult: (request: ResultRequest) => measure('extractResult', request.topic.id, () => inner.extractResult(request)),
  };
}
