/** What the docs' StreamHandlers (docs/clients/*.ts) were called with, and promises to wait on. */
export interface StreamRecord {
  texts: string[];
  codes: string[];
  doneCalls: number;
  /** Resolves on the first onText. */
  firstText: Promise<void>;
  /** Resolves on onDone or onError. */
  ended: Promise<void>;
  handlers: { onText: (text: string) => void; onError: (code: string) => void; onDone: () => void };
}

export function streamRecorder(): StreamRecord {
  let gotText!: () => void;
  let end!: () => void;
  const record: StreamRecord = {
    texts: [],
    codes: [],
    doneCalls: 0,
    firstText: new Promise<void>((r) => (gotText = r)),
    ended: new Promise<void>((r) => (end = r)),
    handlers: {
      onText: (text) => {
        record.texts.push(text);
        gotText();
      },
      onError: (code) => {
        record.codes.push(code);
        end();
      },
      onDone: () => {
        record.doneCalls++;
        end();
      },
    },
  };
  return record;
}
