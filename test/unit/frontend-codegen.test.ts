import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMarkdown, readDoc, ROOT } from './markdown';

// docs/operations.md#typed-operations-for-a-frontend, verbatim: a new frontend folder next to
// this repository (as ../coaching-sessions-api) with the documented codegen.yml, then the
// three client set-ups of docs/clients/ copied into src/api/ and typechecked (strict, the
// browser settings of docs/clients/tsconfig.json) against what codegen wrote.

const run = promisify(execFile);
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

test('the documented codegen.yml, run in a frontend project, types the documented client set-ups', async () => {
  const block = parseMarkdown(readDoc('docs/operations.md')).fences.find((f) => f.lang === 'yaml' && f.body.startsWith('# codegen.yml of the frontend project'));
  expect(block).toBeDefined();
  const dir = mkdtempSync(join(tmpdir(), 'frontend-'));
  try {
    symlinkSync(ROOT, join(dir, 'coaching-sessions-api'), 'dir');
    const app = join(dir, 'frontend');
    mkdirSync(join(app, 'src', 'api'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    writeFileSync(join(app, 'codegen.yml'), `${block!.body}\n`);
    await run(bin('graphql-codegen'), ['--config', 'codegen.yml', '--silent'], { cwd: app });
    const generated = readFileSync(join(app, 'src', 'api', 'generated', 'graphql.ts'), 'utf8');
    expect(generated).toContain('export const SendMessageStreamDocument');

    for (const file of ['apollo.ts', 'urql.ts', 'graphql-ws.ts', 'tsconfig.json']) copyFileSync(join(ROOT, 'docs', 'clients', file), join(app, 'src', 'api', file));
    const tsc = await run(bin('tsc'), ['-p', join('src', 'api', 'tsconfig.json')], { cwd: app }).catch((e: { stdout: string }) => e);
    expect(tsc.stdout).toBe('');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
