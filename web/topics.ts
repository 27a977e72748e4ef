/** The topic list with the caller's progress (`topics { myStatus archived }`). */
import { run } from './api.js';
import { TopicsDocument } from './generated/graphql.js';
import { state, type Topic } from './state.js';
import { $, action, el, STATUS_LABEL } from './ui.js';

let onSelect: (topic: Topic) => Promise<void> = async () => undefined;

/** What a click on a topic does (check.ts: the session check). */
export function onTopicSelected(fn: (topic: Topic) => Promise<void>): void {
  onSelect = fn;
}

export async function loadTopics(): Promise<void> {
  state.topics = (await run(TopicsDocument, {})).topics;
  renderTopics();
}

export function renderTopics(): void {
  $('#topic-list').replaceChildren(
    ...state.topics.map((t) => {
      const badge = el('span', { className: `badge ${t.myStatus}`, data: { testid: `topic-status-${t.id}` } }, STATUS_LABEL[t.myStatus] ?? t.myStatus);
      // Listed while archived only because the caller's session of it is still in progress.
      const archived = t.archived ? el('span', { className: 'badge archived', data: { testid: `topic-archived-${t.id}` } }, 'archived') : '';
      const button = el('button', { data: { testid: `topic-${t.id}` } }, el('span', {}, t.name), el('span', { className: 'badges' }, archived, badge));
      button.type = 'button';
      button.setAttribute('aria-current', String(state.topic?.id === t.id));
      button.addEventListener('click', action(button, () => onSelect(t)));
      return el('li', {}, button);
    }),
  );
}
