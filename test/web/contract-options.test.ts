import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatters } from '../../web/src/formatters.js';
import { staffApi } from '../support/booking.js';
import { browserSuite, expectAccessible, newPage, screens, signIn } from '../support/browser.js';

const web = browserSuite();

const fmt = formatters('en', 'Asia/Tokyo');

describe('contract options', () => {
  it('lets the desk add an option after a preview, read its and a leave’s details, and remove it after a confirmation', async () => {
    const { ok } = staffApi(web.platform, web.T);
    const member = await ok('POST', '/api/members', { familyName: '森', givenName: '葉子', phone: '090-5555-6666' });
    const monthly = await ok('POST', '/api/plans', { kind: 'monthly', name: 'Monthly 8', terms: { price: 8800, taxCategory: 'standard_10' } });
    await ok('POST', '/api/plans', { kind: 'option', name: 'Locker', terms: { price: 550, taxCategory: 'standard_10' } });
    const contract = await ok('POST', '/api/contracts', { memberId: member.id, planId: monthly.id });
    // Two months ahead is past the cut-off whatever today is.
    const [y, m] = fmt.dayOf(new Date()).split('-').map(Number) as [number, number];
    const leaveMonth = new Date(Date.UTC(y, m + 1, 1)).toISOString().slice(0, 7);
    await ok('POST', `/api/contracts/${contract.id}/leaves`, { fromMonth: leaveMonth, reason: 'Travelling abroad' });
    const contractNow = async () => ok('GET', `/api/contracts/${contract.id}`);

    const page = await newPage(web.browser, 'desk');
    await signIn(page.context(), web.base, { staff: web.T.ownerToken });
    await page.goto(`${web.base}/members/${member.id}?tab=contracts`);
    const card = page.getByRole('article', { name: 'Contract: Monthly 8' });

    // The leave's details are read when opened.
    await card.getByText('Leave details').click();
    await card.getByText('Not set yet').waitFor();
    await card.getByText(fmt.month(leaveMonth)).first().waitFor();

    await card.getByRole('button', { name: 'Add an option' }).click();
    const add = page.getByRole('form', { name: 'Add an option' });
    await add.getByLabel('Plan', { exact: true }).selectOption({ label: 'Locker (¥550 / month)' });
    await add.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Add an option: preview' });
    await preview.getByText('Options: Locker').waitFor();
    expect((await contractNow()).options).toEqual([]); // a preview writes nothing
    await expectAccessible(page, 'option preview');
    await preview.getByRole('button', { name: 'Confirm option' }).click();
    await page.getByText('Option added.').waitFor();
    const [option] = (await contractNow()).options;
    expect(option).toMatchObject({ name: 'Locker', untilDate: null });

    const options = card.getByRole('list', { name: 'Options on this contract' });
    await options.getByText('Locker: details').click();
    await options.getByText(fmt.date(option.fromDate)).waitFor();
    await options.getByText('Until removed').waitFor();

    await options.getByRole('button', { name: 'Remove' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Remove Locker: confirm' });
    await ask.getByText('Locker stops after', { exact: false }).waitFor();
    const asked = await ask.textContent();
    await expectAccessible(page, 'option removal confirmation');
    // "Not now" has the focus, so Enter alone never removes an option.
    await page.keyboard.press('Enter');
    await ask.waitFor({ state: 'hidden' });
    expect((await contractNow()).options[0].untilDate).toBeNull();

    await options.getByRole('button', { name: 'Remove' }).click();
    await ask.getByRole('button', { name: 'Remove the option' }).click();
    await expect.poll(async () => (await contractNow()).options[0].untilDate).not.toBeNull();
    const until = fmt.date((await contractNow()).options[0].untilDate);
    // The confirmation named the day the server then chose.
    expect(asked).toContain(until);
    await page.getByText(`Locker stops after ${until}.`).waitFor();
    await card.getByText(`Locker until ${until}`).waitFor();
    expect(await options.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    await page.screenshot({ path: path.join(screens, 'contract-options.png'), fullPage: true });

    const phone = await newPage(web.browser, 'phone');
    await signIn(phone.context(), web.base, { staff: web.T.ownerToken });
    await phone.goto(`${web.base}/members/${member.id}?tab=contracts`);
    await phone.getByRole('list', { name: 'Options on this contract' }).getByText('Locker: details').click();
    await phone.getByText('Plan version').waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: path.join(screens, 'contract-options-phone.png'), fullPage: true });
    await expectAccessible(phone, 'member contracts with options, phone');
  });
});
