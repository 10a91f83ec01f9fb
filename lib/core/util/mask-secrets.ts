// Credentials that can appear in SQL text (COPY … CREDENTIALS, ACCESS_KEY_ID …) or in error messages.
const SECRET_PATTERNS: readonly RegExp[] = [
  /(aws_secret_access_key\s*=\s*)[^;'"\s]+/gi,
  /(aws_access_key_id\s*=\s*)[^;'"\s]+/gi,
  /(token\s*=\s*)[^;'"\s]+/gi,
  /((?:SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN|PASSWORD)\s+')[^']*/gi,
  /(\bAKIA|\bASIA)[A-Z0-9]{16}/g,
];

/**
 * Masks secrets in text that is about to be logged or returned: the given values verbatim (secret ARNs,
 * passwords) and anything shaped like AWS credentials.
 */
export function maskSecrets(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const value of known) {
    if (value && value.length >= 4) out = out.split(value).join('****');
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, (_m, keep: string) => `${keep}****`);
  return out;
}
