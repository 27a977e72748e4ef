/**
 * A reader for the small YAML subset the infrastructure templates are written in (block
 * mappings and sequences, plain/quoted scalars, flow sequences of scalars, comments), so
 * tests can check them without a YAML package. It refuses what it does not understand,
 * CloudFormation's short tags (!Ref, !GetAtt) among them, rather than guess.
 */
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  no: number;
}

export function parseYamlSubset(source: string): Yaml {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    if (/\t/.test(raw.match(/^\s*/)![0])) throw new Error(`line ${i + 1}: tabs in indentation`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), no: i + 1 });
  });
  let pos = 0;

  const isSeqItem = (l: Line) => l.text === '-' || l.text.startsWith('- ');

  function block(indent: number): Yaml {
    const l = lines[pos];
    return isSeqItem(l) ? sequence(indent) : mapping(indent);
  }

  function mapping(indent: number): Yaml {
    const out: Record<string, Yaml> = {};
    while (pos < lines.length && lines[pos].indent === indent && !isSeqItem(lines[pos])) {
      const l = lines[pos];
      const m = /^("[^"]*"|'[^']*'|[^\s:'"[{!-][^\s]*?)\s*:(?:\s+(.*))?$/.exec(l.text);
      if (!m) throw new Error(`line ${l.no}: expected "key: value", got "${l.text}"`);
      const key = String(scalar(m[1], l.no));
      if (key in out) throw new Error(`line ${l.no}: duplicate key ${key}`);
      pos++;
      if (m[2] !== undefined && m[2] !== '') {
        out[key] = scalar(m[2], l.no);
      } else if (pos < lines.length && (lines[pos].indent > indent || (lines[pos].indent === indent && isSeqItem(lines[pos])))) {
        out[key] = block(lines[pos].indent);
      } else {
        out[key] = null;
      }
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new Error(`line ${lines[pos].no}: unexpected indentation`);
    return out;
  }

  function sequence(indent: number): Yaml {
    const out: Yaml[] = [];
    while (pos < lines.length && lines[pos].indent === indent && isSeqItem(lines[pos])) {
      const l = lines[pos];
      const content = l.text.slice(1).trimStart();
      if (content === '') {
        pos++;
        out.push(pos < lines.length && lines[pos].indent > indent ? block(lines[pos].indent) : null);
      } else if (/^("[^"]*"|'[^']*'|[^\s:'"[{!-][^\s]*?)\s*:(\s|$)/.test(content)) {
        // "- key: value": a mapping whose keys line up with `key`.
        const inner = indent + (l.text.length - content.length);
        lines[pos] = { indent: inner, text: content, no: l.no };
        out.push(mapping(inner));
      } else {
        out.push(scalar(content, l.no));
        pos++;
      }
    }
    return out;
  }

  const result = lines.length ? block(lines[0].indent) : null;
  if (pos < lines.length) throw new Error(`line ${lines[pos].no}: unexpected "${lines[pos].text}"`);
  return result;
}

function scalar(text: string, no: number): Yaml {
  const t = text.trim();
  if (t.startsWith('!')) throw new Error(`line ${no}: tags such as ${t.split(/\s/)[0]} are not supported: use the long form (Ref:, Fn::GetAtt:)`);
  if (t.startsWith('"')) return JSON.parse(t) as string;
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new Error(`line ${no}: unterminated flow sequence`);
    const body = t.slice(1, -1).trim();
    return body === '' ? [] : body.split(',').map((p) => scalar(p, no));
  }
  if (t.startsWith('{') || t.startsWith('&') || t.startsWith('*') || t.startsWith('|') || t.startsWith('>')) {
    throw new Error(`line ${no}: "${t}" is outside the supported YAML subset`);
  }
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null' || t === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

/** Drops a comment: "#" at the start or after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}
