import iconv from 'iconv-lite';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, expectAccessible, newPage, review, signIn, type Device } from '../support/browser.js';

const web = browserSuite();

async function ownerPage(device: Device, language: 'ja' | 'en'): Promise<Page> {
  const page = await newPage(web.browser, device, language);
  await signIn(page.context(), web.base, { staff: web.T.ownerToken });
  return page;
}

const memberNames = async () => {
  const res = await web.platform.call(web.T, { method: 'GET', url: '/api/members', token: web.T.ownerToken, query: { limit: '50' } });
  return (res.json().items as Array<{ familyName: string }>).map((m) => m.familyName).sort();
};

/** As Excel in Japan saves a sheet as CSV: Shift_JIS. Its id column is named in a way the import does not know. */
const file = {
  name: '会員名簿.csv',
  mimeType: 'text/csv',
  buffer: iconv.encode(['旧ID,氏名,フリガナ,携帯', 'K-1,髙橋 一子,たかはし いちこ,090-1111-2222', 'K-2,佐藤 次郎,sato jiro,', 'K-3,鈴木 三郎,スズキ サブロウ,'].join('\r\n'), 'Shift_JIS'),
};

describe('importing members from another system', () => {
  it('asks for the id column it could not recognise, shows the dry run with the bad row, imports the rest once', async () => {
    const page = await ownerPage('phone', 'ja');
    await page.goto(`${web.base}/`);
    await page.getByRole('link', { name: 'CSVから取り込む' }).click();
    await page.getByRole('heading', { name: '会員の取り込み' }).waitFor();
    await expectAccessible(page, 'import page (phone)');

    await page.getByLabel('CSVファイル').setInputFiles(file);
    // The column it needs is said beside its choice.
    await page.locator('select[aria-invalid="true"]').waitFor();
    expect(await page.getByRole('combobox', { name: '以前のシステムでの会員ID' }).getAttribute('aria-invalid')).toBe('true');
    // The columns it did recognise are chosen already.
    expect(await page.getByLabel('氏名（姓 名の順）').inputValue()).toBe('氏名');
    expect(await page.getByLabel('電話番号').inputValue()).toBe('携帯');
    await page.getByLabel('以前のシステムでの会員ID').selectOption('旧ID');
    await page.getByRole('button', { name: 'ファイルを確認' }).click();

    const check = page.getByRole('region', { name: '取り込みの内容' });
    await check.getByText('新しい会員：2人（会員番号1〜2）').waitFor();
    await check.getByText('ファイルの行数：3行（Shift_JIS）').waitFor();
    const bad = check.locator('tbody tr');
    expect(await bad.count()).toBe(1);
    expect(await bad.first().innerText()).toContain('sato jiro');
    expect(await memberNames()).toEqual([]);
    await review(page, 'member-import-dry-run-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);

    await check.getByRole('button', { name: '2人を取り込む' }).click();
    await page.getByRole('heading', { name: '取り込みが完了しました' }).waitFor();
    expect(await memberNames()).toEqual(['鈴木', '髙橋']);
    await page.context().close();

    // The same file again, at a desk in English: nobody is added twice.
    const desk = await ownerPage('desk', 'en');
    await desk.goto(`${web.base}/members/import`);
    await desk.getByLabel('CSV file').setInputFiles(file);
    await desk.getByLabel('ID in the previous system').selectOption('旧ID');
    await desk.getByRole('button', { name: 'Check the file' }).click();
    const again = desk.getByRole('region', { name: 'What the import will do' });
    await again.getByText('2 already imported before: skipped').waitFor();
    await again.getByText('No new members').waitFor();
    expect(await again.getByRole('button', { name: /^Import/ }).count()).toBe(0);
    await review(desk, 'member-import-rerun-desk');
    expect(await memberNames()).toEqual(['鈴木', '髙橋']);
    await desk.context().close();
  });
});
