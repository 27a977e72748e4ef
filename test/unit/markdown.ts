import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A small reader for this repository's Markdown (README.md and docs/*.md), enough for the
 * docs tests: fenced blocks, headings with GitHub's anchors, and relative links. It only
 * reads files.
 */
export const ROOT = join(__dirname, '..', '..');

/** README.md and every page of docs/, as repository-relative paths. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export const readDoc = (path: string) => readFileSync(join(ROOT, path), 'utf8');

export interface Fence {
  /** The info string's first word (```graphql -> "graphql"); "" when none. */
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const OPEN = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;

/** Splits a page into its fenced code blocks and its prose (fenced lines blanked, so line numbers stay). */
export function parseMarkdown(text: string): { fences: Fence[]; prose: string[] } {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  const prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) {
      prose.push(lines[i]);
      continue;
    }
    const marker = open[1];
    const start = i;
    const body: string[] = [];
    prose.push('');
    for (i++; i < lines.length; i++) {
      prose.push('');
      const trimmed = lines[i].trim();
      if (trimmed.startsWith(marker[0].repeat(marker.length)) && /^(`+|~+)$/.test(trimmed)) break;
      body.push(lines[i]);
    }
    fences.push({ lang: open[2].toLowerCase(), body: body.join('\n'), line: start + 1 });
  }
  return { fences, prose };
}

/** Inline code spans removed, so that `[x](y)` or `# x` shown as code is not read as Markdown. */
const withoutCodeSpans = (line: string) => line.replace(/(`+)[\s\S]*?\1/g, '');

/**
 * GitHub's anchor for a heading (github-slugger): the rendered text, lowercased, with
 * punctuation other than "-" and "_" removed and each space turned into "-".
 */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every heading's anchor on a page, with GitHub's "-1", "-2" suffixes for repeated headings. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of parseMarkdown(text).prose) {
    const m = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

export interface Link {
  target: string;
  line: number;
}

/** Every link and image target in the prose (not in code), with its line. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  parseMarkdown(text).prose.forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1], line: i + 1 });
  });
  return out;
}
