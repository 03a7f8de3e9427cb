import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, newPage, review, signIn, type Device } from '../support/browser.js';

const web = browserSuite();

async function ownerAtSettings(device: Device, language: 'ja' | 'en'): Promise<Page> {
  const page = await newPage(web.browser, device, language);
  await signIn(page.context(), web.base, { staff: web.T.ownerToken });
  await page.goto(`${web.base}/settings`);
  return page;
}

describe('the studio’s data, from Settings', () => {
  it('downloads the whole studio as a zip for the owner, then says when it may be downloaded again', async () => {
    const page = await ownerAtSettings('phone', 'ja');
    const section = page.getByRole('region', { name: 'スタジオのデータ' });
    await section.waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      section.getByRole('button', { name: 'すべてのデータをダウンロード（ZIP）' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${web.T.slug}-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
    const bytes = await readFile((await download.path())!);
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    expect(bytes.includes(Buffer.from('manifest.json'))).toBe(true);
    await section.getByRole('status').getByText(`${download.suggestedFilename()} をダウンロードしました。`).waitFor();
    await review(page, 'studio-archive-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);

    // Again at once: the server's refusal, in the reader's language.
    await section.getByRole('button', { name: 'すべてのデータをダウンロード（ZIP）' }).click();
    await section.getByRole('alert').getByText(/^スタジオのデータは10分以内にダウンロード済みです。\d+分後にもう一度お試しください。$/).waitFor();
    await page.context().close();

    const desk = await ownerAtSettings('desk', 'en');
    const deskSection = desk.getByRole('region', { name: 'Your studio’s data' });
    await deskSection.getByRole('button', { name: 'Download all data (ZIP)' }).click();
    await deskSection.getByRole('alert').getByText(/^The studio’s data was downloaded less than 10 minutes ago: try again in \d+ minutes?$/).waitFor();
    await review(desk, 'studio-archive-desk');
    await desk.context().close();
  });
});
