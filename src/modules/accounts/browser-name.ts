/**
 * A short, human name for the browser a session was started in ("Chrome on Windows"), made once
 * from the User-Agent at sign-in so that a person can tell their sessions apart. Only this name is
 * stored: never the raw header, which is longer, more identifying and of no use on the page.
 * The order of the checks matters: Edge and Opera say "Chrome" too, Chrome says "Safari", and
 * Android says "Linux".
 */

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(HeadlessChrome|Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bWindows\b/, 'Windows'],
  [/\bAndroid\b/, 'Android'],
  [/\biPad\b/, 'iPad'],
  [/\b(iPhone|iPod)\b/, 'iPhone'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

export const UNKNOWN_BROWSER = 'Unknown browser';

export function browserName(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').slice(0, 1000);
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  if (!browser) return UNKNOWN_BROWSER;
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  return system ? `${browser} on ${system}` : browser;
}
