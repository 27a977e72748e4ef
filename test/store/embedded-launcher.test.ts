import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launcherArgs, launcherDir, LAUNCHER_CLASS } from '../../src/embedded/launcher';

// The launcher that binds DynamoDB Local to 127.0.0.1 is committed as source and as a class
// (a JRE cannot compile). These checks keep the two from drifting apart: `npm run build:java`
// rebuilds the class and the source's hash after a change to the source.
const build = require('../../java/build.js') as {
  NAME: string;
  compile(): Buffer;
  javacVersion(): string | undefined;
  sourceSha256(): string;
};
const javaDir = join(__dirname, '..', '..', 'java');
const committed = () => readFileSync(join(javaDir, `${LAUNCHER_CLASS}.class`));

test('the committed class is Java 17 bytecode, found from src/store', () => {
  expect(build.NAME).toBe(LAUNCHER_CLASS);
  const bytes = committed();
  expect(bytes.readUInt32BE(0)).toBe(0xcafebabe);
  expect(bytes.readUInt16BE(6)).toBe(61); // class file major version 61 = Java 17
  expect(launcherDir(join(__dirname, '..', '..', 'src', 'store'))).toBe(javaDir);
  expect(launcherDir(join(__dirname, '..', '..', 'dist', 'src', 'store'))).toBe(javaDir);
});

test('the committed class was built from the committed source (its SHA-256, recorded by build:java)', () => {
  expect(readFileSync(join(javaDir, `${LAUNCHER_CLASS}.sha256`), 'utf8').trim()).toBe(build.sourceSha256());
});

// javac 17 builds the committed bytes exactly; other versions emit different bytecode for the
// same source, so there the check above (the source's hash) is the one that holds.
test('recompiled with javac 17 (where installed), the source gives the committed class byte for byte', () => {
  if (build.javacVersion() !== '17') return;
  expect(build.compile().equals(committed())).toBe(true);
});

test("the command line keeps DynamoDB Local's own options: no telemetry, one shared database", () => {
  const args = launcherArgs({ jarDir: '/jar', launcherDir: '/launcher', port: 8000, dataDir: '/data' });
  expect(args.slice(args.indexOf(LAUNCHER_CLASS))).toEqual([LAUNCHER_CLASS, '-port', '8000', '-sharedDb', '-disableTelemetry', '-dbPath', '/data']);
  expect(launcherArgs({ jarDir: '/jar', launcherDir: '/launcher', port: 8000 }).slice(-1)).toEqual(['-inMemory']);
});
