/**
 * Debian's Chromium (never a downloaded browser) and the flags it runs with, for the browser tests and the web
 * bench alike: quiet (no first-run, sync or update traffic), and every studio address of `baseDomain` sent to
 * this machine.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = (baseDomain: string, extra: string[] = []) => [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  `--host-resolver-rules=MAP *.${baseDomain} 127.0.0.1`,
  ...extra,
];
