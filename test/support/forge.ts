/**
 * A JWT with a wrong signature. It changes the signature's first character, which carries six
 * data bits. (The last character of an HS256 signature also carries two padding bits that
 * base64url decoders ignore, so changing only it can leave the signature valid.)
 */
export function forgeSignature(token: string): string {
  const dot = token.lastIndexOf('.') + 1;
  const first = token[dot];
  return token.slice(0, dot) + (first === 'A' ? 'B' : 'A') + token.slice(dot + 1);
}
