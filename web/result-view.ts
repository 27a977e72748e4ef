/**
 * A completed session's result (`completeSession { result resultError }`): the JSON the
 * coach extracted for the topic's result schema, shown as nested lists, or why there is none.
 */
import type { Outcome } from './state.js';
import { byTest, el, show } from './ui.js';

/** "servedWho" -> "Served who". */
const label = (key: string) => {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function valueView(value: unknown): Node {
  if (Array.isArray(value)) return el('ul', {}, ...value.map((v) => el('li', {}, valueView(v))));
  if (value !== null && typeof value === 'object') {
    return el('dl', {}, ...Object.entries(value).flatMap(([k, v]) => [el('dt', {}, label(k)), el('dd', {}, valueView(v))]));
  }
  return document.createTextNode(String(value));
}

export function renderOutcome(outcome: Outcome | null): void {
  const box = byTest('result');
  show(box, outcome !== null);
  if (!outcome) return;
  const body = outcome.result
    ? el('div', { data: { testid: 'result-value' } }, valueView(outcome.result))
    : outcome.resultError
      ? el('p', { className: 'detail', data: { testid: 'result-error' } }, `No result was extracted: ${outcome.resultError}`)
      : el('p', { className: 'detail' }, 'This topic has no result to extract.');
  box.replaceChildren(el('h3', {}, 'Your result'), body);
}
