import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { anchors, links, markdownFiles, parseMarkdown, readDoc, ROOT, slug } from './markdown';

// Every relative link of the README and docs/ must lead somewhere: the file (or folder)
// exists in this repository, and an #anchor is a heading of the target page.
const files = markdownFiles();

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

function problems(file: string): string[] {
  const text = readDoc(file);
  const out: string[] = [];
  for (const { target, line } of links(text)) {
    if (isExternal(target)) continue;
    const where = `${file}:${line} -> ${target}`;
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = pathPart === '' ? file : normalize(join(dirname(file), decodeURIComponent(pathPart)));
    if (resolved.startsWith('..')) {
      out.push(`${where}: leaves the repository`);
      continue;
    }
    const absolute = join(ROOT, resolved);
    if (!existsSync(absolute)) {
      out.push(`${where}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!resolved.endsWith('.md') || statSync(absolute).isDirectory()) {
      out.push(`${where}: an anchor into a file that is not a Markdown page`);
      continue;
    }
    if (!anchors(readDoc(resolved)).has(anchor)) out.push(`${where}: no heading with this anchor`);
  }
  return out;
}

test('the README and every docs page are checked', () => {
  expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/contract.md', 'docs/configuration.md']));
  expect(files.length).toBeGreaterThanOrEqual(11);
});

test.each(files)('every relative link in %s resolves', (file) => {
  expect(problems(file)).toEqual([]);
});

test('the README links every docs page', () => {
  const linked = new Set(links(readDoc('README.md')).map((l) => l.target.split('#')[0]));
  expect(files.filter((f) => f !== 'README.md' && !linked.has(f))).toEqual([]);
});

describe('the checker itself', () => {
  test('slugs follow GitHub', () => {
    expect(slug('Idle notifications: `npm run notify-idle`')).toBe('idle-notifications-npm-run-notify-idle');
    expect(slug('Example operations (paste into Sandbox)')).toBe('example-operations-paste-into-sandbox');
    expect(slug('startSession resuming an ACTIVE session, with messages(last: 20)')).toBe(
      'startsession-resuming-an-active-session-with-messageslast-20',
    );
    expect(slug('The table: CloudFormation')).toBe('the-table-cloudformation');
    expect(slug('Where to change what')).toBe('where-to-change-what');
  });

  test('repeated headings get numbered anchors; headings in code blocks are not headings', () => {
    const page = '# A\n\n## Setup\n\n```sh\n# not a heading\n```\n\n## Setup\n';
    expect([...anchors(page)]).toEqual(['a', 'setup', 'setup-1']);
  });

  test('links in code are not links; images and titles are', () => {
    const page = 'See [a](x.md#b "t") and ![i](p.png).\n`[no](code.md)`\n```\n[no](fenced.md)\n```\n';
    expect(links(page).map((l) => l.target)).toEqual(['x.md#b', 'p.png']);
    expect(parseMarkdown(page).fences).toEqual([{ lang: '', body: '[no](fenced.md)', line: 3 }]);
  });
});
