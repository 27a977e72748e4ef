/**
 * No control characters and no lone surrogates in stored text (tab and newlines only where
 * multiline), so terminal escapes and broken UTF-16 never reach a screen, log or model.
 */
export function isCleanText(text: string, { multiline }: { multiline: boolean }): boolean {
  return !(multiline ? MULTILINE_CONTROLS : CONTROLS).test(text) && text.isWellFormed();
}

const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
const MULTILINE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
