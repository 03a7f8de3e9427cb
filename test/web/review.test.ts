import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { billingDeps, runBilling } from '../../src/modules/billing/billing-run.js';
import { addLesson, bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../support/booking.js';
import { browserSuite, newPage, review, signIn } from '../support/browser.js';

/*
 * Every screen of the staff app and the member app, in Japanese and in English, on a phone (390×844) and at a
 * desk (1366×800): a screenshot for the review (.ci/report/screens/), no WCAG 2.1 A/AA violation axe-core can
 * find, nothing wider than the screen, no table value hidden, `<html lang>` right, and in Japanese no sentence of
 * the English catalog left on the page. On the smallest phone (320 px) and at 200% zoom, nothing overflows.
 */
const web = browserSuite();
let studio: BookingStudio;
let ids: { member: string; lesson: string; invoice: string; reservation: string; memberToken: string };

beforeAll(async () => {
  studio = await bookingStudio(web.platform, web.T);
  const member = await memberWithSession(web.platform, web.T, studio);
  const lesson = await addLesson(web.platform, web.T, studio, { startsAt: new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000), capacity: 8 });
  const booked = await member.send('POST', '/api/me/reservations', { lessonId: lesson });
  expect(booked.statusCode).toBe(201);
  await runBilling(billingDeps(web.platform.runtime), web.T.id, new Date());
  const invoice = (await staffApi(web.platform, web.T).ok('GET', `/api/invoices?memberId=${member.memberId}`)).items[0];
  expect(invoice).toBeDefined();
  ids = { member: member.memberId, lesson, invoice: invoice.id, reservation: booked.json().reservation.id, memberToken: member.token };
});

/**
 * English sentences of the catalogs (several words, no placeholder) that a Japanese screen must not show: the web
 * app's own, and the server's (problems, invoice lines, notes it returns).
 */
const englishSentences = (() => {
  const load = (lang: string) =>
    Object.assign(
      {},
      ...['web/src/i18n', 'src/i18n'].flatMap((root) => {
        const dir = path.resolve(root, lang);
        return readdirSync(dir).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
      }),
    ) as Record<string, string>;
  const en = load('en');
  const ja = load('ja');
  return Object.entries(en)
    .filter(([id, text]) => text !== ja[id] && !/[{<]/.test(text) && /^[A-Z][a-z]+( [a-z]+){2,}/.test(text))
    .map(([, text]) => text);
})();

type Screen = { name: string; path: (i: typeof ids) => string; realm: 'staff' | 'member' | 'none' };
const screens: Screen[] = [
  { name: 'staff-sign-in', path: () => '/login', realm: 'none' },
  { name: 'staff-members', path: () => '/', realm: 'staff' },
  { name: 'staff-member', path: (i) => `/members/${i.member}`, realm: 'staff' },
  { name: 'staff-timetable', path: () => '/timetable', realm: 'staff' },
  { name: 'staff-lesson', path: (i) => `/lessons/${i.lesson}`, realm: 'staff' },
  { name: 'staff-front-desk', path: () => '/front-desk', realm: 'staff' },
  { name: 'staff-plans', path: () => '/plans', realm: 'staff' },
  { name: 'staff-invoices', path: () => '/invoices', realm: 'staff' },
  { name: 'staff-invoice', path: (i) => `/invoices/${i.invoice}`, realm: 'staff' },
  { name: 'staff-settings', path: () => '/settings', realm: 'staff' },
  { name: 'staff-staff', path: () => '/staff', realm: 'staff' },
  { name: 'staff-setup', path: () => '/setup', realm: 'staff' },
  { name: 'staff-setup-rooms', path: () => '/setup/rooms', realm: 'staff' },
  { name: 'staff-new-lesson', path: () => '/lessons/new', realm: 'staff' },
  { name: 'staff-dashboard', path: () => '/dashboard', realm: 'staff' },
  { name: 'staff-reports', path: () => '/reports', realm: 'staff' },
  { name: 'staff-account-security', path: () => '/account/security', realm: 'staff' },
  { name: 'staff-audit', path: () => '/audit', realm: 'staff' },
  { name: 'member-sign-in', path: () => '/member/login', realm: 'none' },
  { name: 'member-timetable', path: () => '/member', realm: 'member' },
  { name: 'member-sign-up', path: () => '/member/sign-up', realm: 'none' },
  { name: 'member-bookings', path: () => '/member/bookings', realm: 'member' },
  { name: 'member-booking', path: (i) => `/member/bookings/${i.reservation}`, realm: 'member' },
  { name: 'member-my-page', path: () => '/member/me', realm: 'member' },
  { name: 'member-check-in', path: () => '/member/check-in', realm: 'member' },
  { name: 'member-invoices', path: () => '/member/invoices', realm: 'member' },
  { name: 'member-invoice', path: (i) => `/member/invoices/${i.invoice}`, realm: 'member' },
  { name: 'member-card', path: () => '/member/card', realm: 'member' },
  { name: 'member-notifications', path: () => '/member/notifications', realm: 'member' },
  { name: 'member-line-link', path: () => '/member/line-link?linkToken=review-link-token', realm: 'member' },
];

async function open(page: Page, screen: Screen) {
  await page.goto(`${web.base}${screen.path(ids)}`);
  await page.locator('h1').first().waitFor();
  // Loaded: no skeleton left, and every lazy screen rendered.
  await page.waitForFunction(() => document.querySelector('.skeleton') === null);
}

/** What is wrong with the layout of the page as it is: wider than the screen, or a table value hidden. */
async function layoutProblems(page: Page, name: string): Promise<string[]> {
  const state = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    hidden: [...document.querySelectorAll('td, th')].filter((c) => c.textContent!.trim() !== '' && (c as HTMLElement).offsetParent === null).length,
  }));
  return [
    ...(state.overflow > 0 ? [`${name}: ${state.overflow}px wider than the screen`] : []),
    ...(state.hidden > 0 ? [`${name}: ${state.hidden} table value(s) hidden`] : []),
  ];
}

describe.each(['ja', 'en'] as const)('every screen in %s', (language) => {
  it.each(['phone', 'desk'] as const)('on a %s: reviewed, accessible, nothing hidden or overflowing, nothing untranslated', async (device) => {
    const page = await newPage(web.browser, device, language);
    await signIn(page.context(), web.base, { staff: web.T.ownerToken, member: ids.memberToken });
    const problems: string[] = [];
    for (const screen of screens) {
      await open(page, screen);
      const name = `${screen.name}-${language}-${device}`;
      await review(page, name).catch((err: Error) => problems.push(err.message));
      problems.push(...(await layoutProblems(page, name)));
      const state = await page.evaluate(() => ({ lang: document.documentElement.lang, text: document.body.innerText }));
      if (state.lang !== language) problems.push(`${name}: <html lang="${state.lang}">`);
      if (language === 'ja') {
        const english = englishSentences.filter((s) => state.text.includes(s));
        if (english.length > 0) problems.push(`${name}: English left: ${english.join(' | ')}`);
      }
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it.each(['small', 'zoomed'] as const)('on a %s screen: nothing wider than the screen, no table value hidden', async (device) => {
    const page = await newPage(web.browser, device, language);
    await signIn(page.context(), web.base, { staff: web.T.ownerToken, member: ids.memberToken });
    const problems: string[] = [];
    for (const screen of screens) {
      await open(page, screen);
      problems.push(...(await layoutProblems(page, `${screen.name}-${language}-${device}`)));
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
