/**
 * Whether an identity provider's ID token says the person gave a second factor: its `amr`
 * (Authentication Methods References, RFC 8176) names one of the methods below. A password
 * (`pwd`), a PIN, knowledge questions, a location or a risk score alone are not a second factor;
 * anything that is not a list of strings counts as nothing. Signpost trusts this only when the
 * hub says so (OIDC_TRUST_MFA).
 */
const SECOND_FACTORS: ReadonlySet<string> = new Set([
  'mfa', // multiple factors, the provider's own word for it (Entra ID says this)
  'mca', // multiple channels
  'otp', // a one-time password (an authenticator app or a token)
  'sms', // a code by text message
  'tel', // a telephone call
  'hwk', // a key held in hardware (a security key)
  'swk', // a key held in software (a passkey on a device)
  'pop', // proof of possession of a key
  'sc', // a smart card
  'fpt', // fingerprint
  'face', // face
  'iris', // iris
  'retina', // retina
  'vbm', // voice
]);

export function providerGaveSecondFactor(amr: unknown): boolean {
  if (!Array.isArray(amr)) return false;
  return amr.some((m) => typeof m === 'string' && SECOND_FACTORS.has(m.toLowerCase()));
}

/**
 * Whether the provider vouches for the email it gives: the standard `email_verified: true`, or,
 * from Microsoft Entra ID, which does not send that claim, its optional claim `xms_edov: true`
 * (the email's domain is verified by the tenant's owner; the claim Microsoft gives for exactly
 * this check). Anything else, a string "true" included, does not.
 */
export function providerVerifiedEmail(claims: Readonly<Record<string, unknown>>): boolean {
  if (claims.email_verified !== undefined) return claims.email_verified === true;
  return claims.xms_edov === true;
}
