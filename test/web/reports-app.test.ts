import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { browserSuite, expectAccessible, newPage, signIn } from '../support/browser.js';

const web = browserSuite();

/** The studio's today (Tokyo) and its month, from the suite's clock: the screens default to them. */
const today = formatters('ja', 'Asia/Tokyo').dayOf(new Date());
const month = `${today.slice(0, 7)}-01`;

beforeAll(async () => {
  const admin = await web.platform.admin();
  // One active member with an open invoice of this month: the dashboard's members and revenue show them.
  const { rows } = await admin.query(
    `insert into app.members (tenant_id, member_number, family_name, given_name, status) values ($1, 1, '山田', '花子', 'active') returning id`,
    [web.T.id],
  );
  const member = rows[0].id as string;
  await admin.query(
    `insert into app.member_status_events (tenant_id, member_id, from_status, to_status, effective_on, actor_kind) values ($1, $2, 'provisional', 'active', $3, 'system')`,
    [web.T.id, member, month],
  );
  await admin.query(
    `insert into app.invoices (tenant_id, billing_member_id, period, status, total, due_on, number, issued_on) values ($1, $2, $3, 'open', 12000, $4::date + 60, 1, $3)`,
    [web.T.id, member, month, today],
  );
}, 120_000);

describe('dashboard and reports', () => {
  it('shows the dashboard in Japanese on a phone, with no horizontal scroll and no axe violation', async () => {
    const page = await newPage(web.browser, 'phone', 'ja');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/dashboard`);
    await page.getByRole('heading', { name: 'ダッシュボード' }).waitFor();
    await page.getByText('月額売上(MRR)').waitFor();
    const figures = page.locator('dl').nth(1);
    await figures.getByText('新規入会').waitFor();
    expect(await figures.textContent()).toContain('在籍1');
    await page.getByRole('cell', { name: '¥12,000' }).first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'dashboard ja phone');
  });

  it('opens the revenue report and downloads its CSV with Japanese headers', async () => {
    const page = await newPage(web.browser, 'desk', 'ja');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/reports/revenue`);
    await page.getByRole('heading', { name: 'レポート' }).waitFor();
    await page.getByRole('cell', { name: '¥12,000' }).first().waitFor();
    await expectAccessible(page, 'revenue report ja desk');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSVをダウンロード' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFF月,請求額(円),入金額(円),未収額(円)\r\n')).toBe(true);
    expect(csv).toContain(`${today.slice(0, 7)},12000,0,0`);
  });
});
