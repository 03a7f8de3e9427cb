/**
 * The most common disposable (throw-away) email services. A small built-in list: no maintained list is among
 * the project's packages. It catches the usual throw-away sign-ups; a studio adds anything else to its own
 * blocked list (app.blocked_email_domains). Subdomains of these are blocked too.
 */
export const DISPOSABLE_DOMAINS: ReadonlySet<string> = new Set([
  '10minutemail.com', '10minutemail.net', '20minutemail.com',
  'burnermail.io',
  'discard.email', 'dispostable.com', 'dropmail.me',
  'emailfake.com', 'emailondeck.com',
  'fakeinbox.com', 'fakemail.net',
  'getairmail.com', 'getnada.com', 'grr.la', 'guerrillamail.biz', 'guerrillamail.com', 'guerrillamail.de',
  'guerrillamail.info', 'guerrillamail.net', 'guerrillamail.org', 'guerrillamailblock.com',
  'harakirimail.com',
  'inboxkitten.com',
  'jetable.org',
  'mail.tm', 'mailcatch.com', 'maildrop.cc', 'mailinator.com', 'mailinator.net', 'mailnesia.com', 'mailpoof.com',
  'mailsac.com', 'mintemail.com', 'minuteinbox.com', 'moakt.com', 'mohmal.com', 'mytemp.email',
  'sharklasers.com', 'spam4.me', 'spamgourmet.com',
  'temp-mail.io', 'temp-mail.org', 'tempail.com', 'tempinbox.com', 'tempmail.net', 'tempmailo.com',
  'tempr.email', 'throwawaymail.com', 'tmpmail.org', 'trash-mail.com', 'trashmail.com',
  'trashmail.de', 'trashmail.net',
  'wegwerfmail.de',
  'yopmail.com', 'yopmail.fr', 'yopmail.net',
]);

/** A domain and every parent domain of it: a.b.example.com, b.example.com, example.com, com. */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

export const isDisposable = (domain: string) => domainAndParents(domain).some((d) => DISPOSABLE_DOMAINS.has(d));
