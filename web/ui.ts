/** Small DOM helpers, wording shared by the cards, and the error banner. */
import { ApiError } from './api.js';

export const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};
export const byTest = <T extends HTMLElement = HTMLElement>(id: string) => $<T>(`[data-testid="${id}"]`);
export const show = (el: HTMLElement, visible: boolean) => (el.hidden = !visible);

/** Sets an element's text and shows it, or hides it when `text` is null. */
export function say(el: HTMLElement, text: string | null): void {
  el.textContent = text ?? '';
  show(el, text !== null);
}

/** A new element with attributes (data-* via `data`) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: { className?: string; data?: Record<string, string | undefined> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs.className) node.className = attrs.className;
  for (const [k, v] of Object.entries(attrs.data ?? {})) if (v !== undefined) node.dataset[k] = v;
  node.append(...children);
  return node;
}

/** "5 days", "1 hour", "12 minutes", "40 seconds": how long ago `iso` was. */
export function durationSince(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size || size === 1) {
      const n = Math.floor(seconds / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return '0 seconds';
}

/** A date as the reader's locale writes it. */
export const when = (iso: string) => new Date(iso).toLocaleString();

export const STATUS_LABEL: Record<string, string> = {
  NOT_STARTED: 'not started',
  IN_PROGRESS: 'in progress',
  PAUSED: 'paused',
  COMPLETED: 'completed',
  ACTIVE: 'active',
  CANCELLED: 'cancelled',
  ABANDONED: 'abandoned',
};

export function showError(e: unknown): void {
  const box = byTest('error');
  if (e === null) return void show(box, false);
  const err = e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e), 'ERROR');
  box.textContent = `${err.message} (${err.code})`;
  show(box, true);
}

/** Runs a user action with its button disabled; errors land in the banner. */
export function action(button: HTMLButtonElement | null, fn: () => Promise<void>) {
  return async () => {
    showError(null);
    if (button) button.disabled = true;
    try {
      await fn();
    } catch (e) {
      showError(e);
    } finally {
      if (button) button.disabled = false;
    }
  };
}
