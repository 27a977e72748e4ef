/**
 * The one rule for text the service stores and shows (messages, topic names, descriptions,
 * instructions, openings): no control characters (C0, DEL, C1) and no lone surrogates. Tab,
 * newline and carriage return are allowed where text may span lines (everything but names).
 * Terminal escapes, NULs and broken UTF-16 then never reach a screen, a log or a model.
 */
export function isCleanText(text: string, { multiline }: { multiline: boolean }): boolean {
  return !(multiline ? MULTILINE_CONTROLS : CONTROLS).test(text) && text.isWellFormed();
}

const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
const MULTILINE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
