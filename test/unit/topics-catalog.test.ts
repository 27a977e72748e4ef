import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { BUILTIN_TOPICS } from '../../src/topics/builtin';
import { loadCatalog, parseTopics, parseTopicsFile, TopicCatalog, TopicsFileError } from '../../src/topics/catalog';

const fail = (problem: string) => new Error(problem);

/** The message parseTopics fails with for `raw`. */
function problemOf(raw: unknown): string {
  try {
    parseTopics(raw, fail);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected parseTopics to reject the input');
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'topics-catalog-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function file(content: string): string {
  const path = join(dir, `topics-${++fileNo}.json`);
  writeFileSync(path, content);
  return path;
}

describe('parseTopics', () => {
  test('a minimal entry takes every default', () => {
    const [t] = parseTopics([{ id: 'focus', name: 'Focus' }], fail);
    expect(t.id).toBe('focus');
    expect(t.name).toBe('Focus');
    expect(t.description).toBeNull();
    expect(t.instructions).toContain('Focus');
    expect(t.openingMessage).toContain('Focus');
    expect(t.settings).toEqual({ inactivityTimeoutMinutes: 30, activeTtlSeconds: 30 * 24 * 3600, terminalTtlSeconds: 14 * 24 * 3600 });
  });

  test('missing settings take their defaults individually', () => {
    const [t] = parseTopics([{ id: 'focus', name: 'Focus', settings: { activeTtlSeconds: 120 } }], fail);
    expect(t.settings).toEqual({ ...DEFAULT_SETTINGS, activeTtlSeconds: 120 });
    const [u] = parseTopics([{ id: 'focus', name: 'Focus', settings: {} }], fail);
    expect(u.settings).toEqual(DEFAULT_SETTINGS);
  });

  test('every field is taken as given', () => {
    const [t] = parseTopics(
      [
        {
          id: 'deep-work_2',
          name: 'Deep work',
          description: 'Protect focus time.',
          instructions: 'Ask about distractions.',
          openingMessage: 'Hi! What do you want to focus on?',
          settings: { inactivityTimeoutMinutes: 7, activeTtlSeconds: 900, terminalTtlSeconds: 60 },
        },
      ],
      fail,
    );
    expect(t).toEqual({
      id: 'deep-work_2',
      name: 'Deep work',
      description: 'Protect focus time.',
      instructions: 'Ask about distractions.',
      openingMessage: 'Hi! What do you want to focus on?',
      settings: { inactivityTimeoutMinutes: 7, activeTtlSeconds: 900, terminalTtlSeconds: 60 },
    });
  });

  test('small values are valid on purpose: inactivityTimeoutMinutes 0, TTLs of 1 second', () => {
    const [t] = parseTopics(
      [{ id: 'quick', name: 'Quick', settings: { inactivityTimeoutMinutes: 0, activeTtlSeconds: 1, terminalTtlSeconds: 1 } }],
      fail,
    );
    expect(t.settings).toEqual({ inactivityTimeoutMinutes: 0, activeTtlSeconds: 1, terminalTtlSeconds: 1 });
  });

  test('an empty array is no topics', () => {
    expect(parseTopics([], fail)).toEqual([]);
  });

  test.each<[string, unknown, RegExp]>([
    ['not an array', { id: 'x', name: 'X' }, /array/],
    ['a string', 'topics', /array/],
    ['null', null, /array/],
    ['an entry that is not an object', ['focus'], /entry 0.*object/],
    ['missing name', [{ id: 'focus' }], /entry 0.*"name"/],
    ['empty name', [{ id: 'focus', name: '   ' }], /"name"/],
    ['non-string name', [{ id: 'focus', name: 42 }], /"name"/],
    ['missing id', [{ name: 'Focus' }], /entry 0.*"id"/],
    ['id with upper case and spaces', [{ id: 'Deep Work', name: 'Deep work' }], /"id"/],
    ['id too long', [{ id: 'a'.repeat(65), name: 'Long' }], /"id"/],
    ['id of another type', [{ id: 7, name: 'Seven' }], /"id"/],
    ['unknown field', [{ id: 'focus', name: 'Focus', colour: 'red' }], /unknown field "colour"/],
    ['unknown setting', [{ id: 'focus', name: 'Focus', settings: { idleMinutes: 5 } }], /unknown setting "idleMinutes"/],
    ['settings not an object', [{ id: 'focus', name: 'Focus', settings: 5 }], /"settings"/],
    ['negative timeout', [{ id: 'focus', name: 'Focus', settings: { inactivityTimeoutMinutes: -1 } }], /inactivityTimeoutMinutes/],
    ['non-integer TTL', [{ id: 'focus', name: 'Focus', settings: { activeTtlSeconds: 1.5 } }], /activeTtlSeconds/],
    ['zero TTL', [{ id: 'focus', name: 'Focus', settings: { terminalTtlSeconds: 0 } }], /terminalTtlSeconds/],
    ['negative TTL', [{ id: 'focus', name: 'Focus', settings: { activeTtlSeconds: -60 } }], /activeTtlSeconds/],
    ['TTL as a string', [{ id: 'focus', name: 'Focus', settings: { activeTtlSeconds: '60' } }], /activeTtlSeconds/],
    ['absurdly large TTL', [{ id: 'focus', name: 'Focus', settings: { activeTtlSeconds: 1e12 } }], /activeTtlSeconds/],
    ['duplicate id', [{ id: 'focus', name: 'A' }, { id: 'focus', name: 'B' }], /entry 1.*duplicate.*focus/],
    ['description of another type', [{ id: 'focus', name: 'Focus', description: ['x'] }], /"description"/],
    ['an empty resultSchema property name', [{ id: 'focus', name: 'Focus', resultSchema: { type: 'object', properties: { '': { type: 'string' } } } }], /properties" has a name that is empty/],
    ['a resultSchema property name with a tab', [{ id: 'focus', name: 'Focus', resultSchema: { type: 'object', properties: { 'a\tb': { type: 'string' } } } }], /control characters/],
    ['a resultSchema over 20000 characters', [{ id: 'focus', name: 'Focus', resultSchema: { type: 'object', properties: {}, description: 'x'.repeat(20_000) } }], /longer than 20000 characters as JSON/],
  ])('rejects %s, naming the problem', (_name, raw, problem) => {
    expect(problemOf(raw)).toMatch(problem);
  });

  test('the entry index in the message points at the bad entry', () => {
    expect(problemOf([{ id: 'ok', name: 'Ok' }, { id: 'bad', name: 'Bad', extra: 1 }])).toMatch(/entry 1/);
  });
});

describe('loadCatalog', () => {
  test('without a file: the built-in topics, in order', () => {
    const catalog = loadCatalog(undefined);
    expect(catalog).toBeInstanceOf(TopicCatalog);
    expect(catalog.topics.map((t) => t.id)).toEqual(BUILTIN_TOPICS.map((t) => t.id));
    expect(catalog.get('core_values')?.name).toBe('Core values');
    expect(catalog.get('nope')).toBeUndefined();
    for (const t of catalog.topics) expect(t.settings).toEqual(DEFAULT_SETTINGS);
  });

  test('a file entry with a built-in id replaces it in place; new ids are appended', () => {
    const path = file(
      JSON.stringify([
        { id: 'goals', name: 'Quarterly goals', settings: { inactivityTimeoutMinutes: 1 } },
        { id: 'focus', name: 'Focus', settings: { activeTtlSeconds: 10 } },
      ]),
    );
    const catalog = loadCatalog(path);
    const ids = catalog.topics.map((t) => t.id);
    expect(ids).toEqual([...BUILTIN_TOPICS.map((t) => t.id), 'focus']);
    const goals = catalog.get('goals')!;
    expect(goals.name).toBe('Quarterly goals');
    expect(goals.settings).toEqual({ ...DEFAULT_SETTINGS, inactivityTimeoutMinutes: 1 });
    expect(ids.indexOf('goals')).toBe(BUILTIN_TOPICS.findIndex((t) => t.id === 'goals'));
    expect(catalog.get('focus')!.settings.activeTtlSeconds).toBe(10);
    // The built-in definitions themselves are untouched.
    expect(BUILTIN_TOPICS.find((t) => t.id === 'goals')!.name).toBe('Goals');
    expect(loadCatalog(undefined).get('goals')!.name).toBe('Goals');
  });

  test('invalid JSON stops with a TopicsFileError naming the file', () => {
    const path = file('[{ "id": "focus", "name": ');
    expect(() => loadCatalog(path)).toThrow(TopicsFileError);
    expect(() => loadCatalog(path)).toThrow(path);
    expect(() => loadCatalog(path)).toThrow(/JSON/);
  });

  test('a missing file stops with a TopicsFileError naming the file', () => {
    const path = join(dir, 'does-not-exist.json');
    expect(() => loadCatalog(path)).toThrow(TopicsFileError);
    expect(() => loadCatalog(path)).toThrow(path);
  });

  test('a malformed entry in a file names the file and the problem', () => {
    const path = file(JSON.stringify([{ id: 'focus', name: 'Focus', settings: { activeTtlSeconds: -5 } }]));
    let message = '';
    try {
      parseTopicsFile(path);
    } catch (e) {
      expect(e).toBeInstanceOf(TopicsFileError);
      message = (e as Error).message;
    }
    expect(message).toContain(path);
    expect(message).toMatch(/entry 0/);
    expect(message).toMatch(/activeTtlSeconds/);
  });

  test('a file that is not an array is refused', () => {
    const path = file(JSON.stringify({ topics: [] }));
    expect(() => loadCatalog(path)).toThrow(/array/);
  });
});
