import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMarkdown, readDoc, ROOT } from './markdown';

// The client set-ups docs/streaming.md shows are the files the e2e tests run
// (test/e2e/*-client.test.ts) and `npm run typecheck` checks: each ```ts block that starts
// with `// docs/clients/<file>` must be that file, and every file there must be shown.

const shown = parseMarkdown(readDoc('docs/streaming.md'))
  .fences.filter((f) => f.lang === 'ts' && f.body.startsWith('// docs/clients/'))
  .map((f) => ({ path: /^\/\/ (docs\/clients\/[\w.-]+):/.exec(f.body)?.[1] ?? '', body: f.body }));

const files = readdirSync(join(ROOT, 'docs', 'clients')).filter((f) => f.endsWith('.ts'));

test('every client set-up in docs/clients/ is shown once in docs/streaming.md', () => {
  expect(shown.map((s) => s.path).sort()).toEqual(files.map((f) => `docs/clients/${f}`).sort());
});

test.each(files)('docs/streaming.md shows docs/clients/%s exactly', (file) => {
  const block = shown.find((s) => s.path === `docs/clients/${file}`);
  expect(`${block?.body}\n`).toBe(readFileSync(join(ROOT, 'docs', 'clients', file), 'utf8'));
});

test('no page says replies are not streamed (docs/coach.md once did, contradicting docs/streaming.md)', () => {
  for (const page of ['README.md', 'docs/coach.md', 'docs/streaming.md', 'docs/contract.md']) expect(readDoc(page)).not.toMatch(/streaming is not offered/i);
  expect(readDoc('docs/coach.md')).toContain('](streaming.md)');
});
