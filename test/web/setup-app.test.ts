import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, formatters } from '../../web/src/formatters.js';
import { memberWithSession, staffApi } from '../support/booking.js';
import { browserSuite, expectAccessible, fillDate, newContext, review, signIn } from '../support/browser.js';

const web = browserSuite();
let timeZone: string;

beforeAll(async () => {
  timeZone = (await web.platform.call(web.T, { method: 'GET', url: '/api/tenant' })).json().timezone;
});

/** The owner's browser (in Japanese unless said), signed in, at a desk or on a phone. */
async function ownerPage(width = 1366, height = 800, language: 'ja' | 'en' = 'ja'): Promise<Page> {
  const context = await newContext(web.browser, { language, viewport: { width, height } });
  await signIn(context, web.base, { staff: web.T.ownerToken });
  return context.newPage();
}

const checklist = (page: Page) => page.getByRole('region', { name: '開校までの準備' });
const step = (page: Page, name: string) => checklist(page).getByRole('listitem').filter({ hasText: name });
const tab = (page: Page, name: string) => page.getByRole('navigation', { name: '設定の項目' }).getByRole('link', { name, exact: true });

async function fitsWidth(page: Page, width: number) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

describe('studio set-up', () => {
  it('takes an empty studio to a bookable timetable: a member books a lesson of the new series and is checked in at the desk', async () => {
    const fmt = formatters('ja', timeZone);
    // A lesson soon enough for the desk to check the member in for it (check-in opens an hour before the start),
    // on the studio's clock, on the hour's next five minutes.
    const startsAt = new Date(Math.ceil((Date.now() + 20 * 60_000) / 300_000) * 300_000);
    const lessonDay = fmt.dayOf(startsAt);
    const startTime = fmt.clock(startsAt);
    const weekday = new Intl.DateTimeFormat('ja', { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${lessonDay}T12:00:00Z`));

    const page = await ownerPage();
    await page.goto(`${web.base}/`);
    await page.getByRole('heading', { name: '会員', level: 1 }).waitFor();
    await page.getByText('まだレッスンがないため、会員は予約できません。').waitFor();
    await page.getByRole('link', { name: 'スタジオの設定を順に進める' }).click();
    await page.getByRole('heading', { name: '店舗設定', level: 1 }).waitFor();
    await step(page, '店舗を登録する').getByText('未完了').waitFor();
    await checklist(page).getByText('6項目中1項目が完了しています', { exact: false }).waitFor();
    await page.getByText('まだ店舗がありません。').waitFor();
    await review(page, 'setup-empty-ja-desk');

    // 1. A location.
    await page.getByLabel('店舗名').fill('渋谷スタジオ');
    await page.getByLabel('住所').fill('東京都渋谷区神南1-2-3');
    await page.getByRole('button', { name: '追加' }).click();
    await page.getByRole('cell', { name: '渋谷スタジオ', exact: true }).waitFor();
    await step(page, '店舗を登録する').getByText('完了', { exact: true }).waitFor();

    // 2. A room with a seat map: the first row by dragging across it, two spots of the next row by keyboard.
    await tab(page, 'ルームと座席表').click();
    await page.getByText('まだルームがありません。').waitFor();
    await page.getByLabel('ルーム名').fill('スタジオA');
    await page.getByLabel('会員が場所を選ぶ(座席表を使う)').check();
    const cell = (label: string) => page.getByRole('button', { name: `席 ${label}`, exact: true });
    await cell('B6').scrollIntoViewIfNeeded();
    const from = (await cell('A1').boundingBox())!;
    const to = (await cell('A6').boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
    await page.mouse.up();
    for (const c of ['A1', 'A3', 'A6']) expect(await cell(c).getAttribute('aria-pressed')).toBe('true');
    expect(await cell('B1').getAttribute('aria-pressed')).toBe('false');
    await cell('A1').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    expect(await cell('B1').getAttribute('aria-pressed')).toBe('true');
    expect(await cell('B2').getAttribute('aria-pressed')).toBe('true');
    await page.getByText('8席').first().waitFor();
    await review(page, 'setup-seat-map-ja-desk');
    await page.getByRole('button', { name: '追加' }).click();
    await page.getByRole('cell', { name: 'スタジオA', exact: true }).waitFor();
    await step(page, 'ルームを登録する').getByText('完了', { exact: true }).waitFor();
    const [room] = (await staffApi(web.platform, web.T).ok('GET', '/api/rooms')).items;
    expect(room.capacity).toBe(8);
    expect(room.spots.map((s: { label: string }) => s.label)).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'B1', 'B2']);

    // 3. An instructor.
    await tab(page, 'インストラクター').click();
    await page.getByLabel('会員に表示する名前').fill('佐藤 愛子');
    await page.getByRole('button', { name: '追加' }).click();
    await page.getByRole('cell', { name: '佐藤 愛子', exact: true }).waitFor();

    // 4. A lesson type.
    await tab(page, 'レッスンの種類').click();
    await page.getByLabel('レッスン名').fill('朝ヨガ');
    await page.getByLabel('時間(分)').fill('50');
    await page.getByRole('button', { name: '追加' }).click();
    await page.getByRole('cell', { name: '朝ヨガ', exact: true }).waitFor();
    await step(page, 'レッスンの種類を登録する').getByText('完了', { exact: true }).waitFor();
    // Its own rule for late cancellations; every other rule stays the studio's.
    await page.getByRole('button', { name: '朝ヨガを編集' }).click();
    const typeForm = page.getByRole('form', { name: '朝ヨガを編集' });
    await typeForm.getByText('この種類だけの予約ルール(任意)').click();
    await typeForm.getByLabel('直前キャンセルのペナルティ').selectOption({ label: 'キャンセル料を請求する' });
    await typeForm.getByLabel('キャンセル料(税込)').fill('1000');
    await typeForm.getByRole('button', { name: '保存' }).click();
    await page.getByRole('cell', { name: /直前キャンセルのペナルティ: キャンセル料を請求する/ }).waitFor();
    const [type] = (await staffApi(web.platform, web.T).ok('GET', '/api/lesson-types')).items;
    expect(type.bookingRules).toEqual({
      opensDaysBefore: null, opensAt: null, closesMinutesBefore: null, cancelDeadlineMinutesBefore: null, lateCancelPenalty: 'fee', noShowPenalty: null, penaltyFee: 1000,
    });

    // 5. Booking rules, each explained beside its field.
    await tab(page, '予約ルール').click();
    await page.getByText('レッスン日の何日前から予約できるかです。').waitFor();
    await page.getByLabel('予約受付開始(何日前から)').fill('14');
    await page.getByLabel('予約受付開始時刻').fill('00:00');
    await page.getByLabel('予約締め切り(開始の何分前)').fill('0');
    await page.getByLabel('無断欠席のペナルティ').selectOption({ label: '利用回数を消化する' });
    await review(page, 'setup-booking-rules-ja-desk');
    await page.getByRole('button', { name: '予約ルールを保存' }).click();
    await page.getByText('予約ルールを保存しました。').waitFor();
    const rules = await staffApi(web.platform, web.T).ok('GET', '/api/settings/booking');
    expect(rules).toMatchObject({ opensDaysBefore: 14, opensAt: '00:00', closesMinutesBefore: 0, noShowPenalty: 'lose_credit' });
    await checklist(page).getByText('6項目中5項目が完了しています', { exact: false }).waitFor();

    // 6. A weekly series on the lesson's weekday, from its day for four weeks.
    await step(page, '最初のレッスンを登録する').getByRole('link').click();
    await page.getByRole('heading', { name: 'レッスンを登録', level: 1 }).waitFor();
    await page.getByRole('radio', { name: '毎週のレッスン' }).check();
    await page.getByRole('checkbox', { name: weekday, exact: true }).check();
    await page.getByLabel('開始時刻').fill(startTime);
    await fillDate(page, '開始日', lessonDay, 'ja');
    await fillDate(page, '終了日', addDays(lessonDay, 27), 'ja');
    await review(page, 'new-lesson-series-ja-desk');
    await page.getByRole('button', { name: '毎週のレッスンを登録' }).click();
    await page.getByText('毎週のレッスンを登録しました。').waitFor();
    await page.waitForURL(`${web.base}/timetable`);
    const [series] = (await staffApi(web.platform, web.T).ok('GET', '/api/lesson-series')).items;
    expect(series).toMatchObject({ startTime, startsOn: lessonDay, endsOn: addDays(lessonDay, 27), capacity: 8, durationMinutes: 50 });
    expect(series.occurrences.total).toBe(4);

    await page.goto(`${web.base}/setup`);
    await checklist(page).getByText('6項目中6項目が完了しています', { exact: false }).waitFor();
    await checklist(page).getByText('手順を表示').click();
    await step(page, '最初のレッスンを登録する').getByText('完了', { exact: true }).waitFor();

    // The set-up screens on a phone: nothing wider than the screen, nothing axe-core finds wrong.
    const phone = await ownerPage(390, 844);
    for (const path of ['/setup/rooms', '/setup/lesson-types', '/setup/booking', '/lessons/new']) {
      await phone.goto(`${web.base}${path}`);
      await phone.getByRole('heading', { level: 1 }).waitFor();
      await phone.locator('form').first().waitFor();
      await fitsWidth(phone, 390);
      await review(phone, `setup-ja-phone${path.replaceAll('/', '-')}`);
    }
    await phone.goto(`${web.base}/setup/rooms`);
    await phone.getByRole('button', { name: 'スタジオAを編集' }).click();
    await phone.getByRole('button', { name: '席 B2', exact: true }).waitFor();
    await fitsWidth(phone, 390);

    // A member with a pack books a lesson of the series on their phone.
    const pack = await staffApi(web.platform, web.T).ok('POST', '/api/plans', { kind: 'pack', name: '10回券', terms: { price: 11000, taxCategory: 'standard_10', packCredits: 10, packValidityDays: 365 } });
    const member = await memberWithSession(web.platform, web.T, { locationId: '', lessonTypeId: '', roomId: '', packPlanId: pack.id });
    const memberContext = await newContext(web.browser, { language: 'ja', viewport: { width: 390, height: 844 } });
    const mp = await memberContext.newPage();
    await mp.goto(`${web.base}/member/login`);
    await mp.getByLabel('メールアドレス').fill(member.email);
    await mp.getByLabel('パスワード').fill('member password 1');
    await mp.getByRole('button', { name: 'ログイン' }).click();
    await mp.getByRole('heading', { name: '時間割', level: 1 }).waitFor();
    await mp.getByRole('tab', { name: fmt.day(lessonDay) }).click();
    const card = mp.getByRole('article', { name: `${startTime}の朝ヨガ` });
    await card.getByText('残り8席').waitFor();
    await card.getByRole('button', { name: '予約する' }).click();
    // The room has the seat map set up above: the member picks a spot on it.
    const spots = card.getByRole('group', { name: 'スポットを選ぶ' });
    await spots.getByRole('button', { name: 'スポットB1（空き）' }).click();
    await spots.getByRole('button', { name: 'スポットB1で予約する' }).click();
    await card.getByText('予約済み', { exact: false }).first().waitFor();

    // The desk checks the member in: for the lesson when it is today on the studio's calendar (a lesson planned
    // in the last minutes before midnight is tomorrow's, and the member is then a walk-in).
    await page.goto(`${web.base}/front-desk`);
    await page.getByRole('heading', { name: '受付', level: 1 }).waitFor();
    const desk = page.getByLabel('受付の店舗');
    const search = page.getByLabel('チェックインする会員を検索');
    await desk.or(search).first().waitFor();
    if (await desk.isVisible()) await desk.selectOption({ label: '渋谷スタジオ' });
    await search.fill('鈴木');
    await page.getByRole('list', { name: 'チェックインする会員を検索の候補' }).getByRole('button').first().click();
    // The member at a glance first (a pack, so no warning to confirm), then the check-in.
    await page.getByRole('region', { name: '会員の概要' }).getByRole('button', { name: 'チェックイン', exact: true }).click();
    const today = fmt.dayOf(new Date());
    await page
      .getByText(lessonDay === today ? `鈴木 一郎さんが${startTime}の朝ヨガにチェックインしました` : '鈴木 一郎さんがチェックインしました(予約なし)')
      .first()
      .waitFor();
  }, 300_000);

  it('shows a plan with its price history and lets a manager rename it', async () => {
    const { ok } = staffApi(web.platform, web.T);
    const plan = await ok('POST', '/api/plans', { kind: 'monthly', name: '月4回プラン', terms: { price: 8800, taxCategory: 'standard_10' } });
    await ok('PATCH', `/api/plans/${plan.id}`, { terms: { price: 9900 } });
    const page = await ownerPage();
    await page.goto(`${web.base}/plans`);
    await page.getByRole('button', { name: '月4回プラン' }).click();
    const history = page.getByRole('table', { name: '月4回プランの料金の履歴' });
    await history.getByRole('row').nth(2).waitFor();
    expect(await history.getByRole('row').count()).toBe(3);
    await history.getByText('¥9,900', { exact: false }).waitFor();
    await history.getByText('¥8,800', { exact: false }).waitFor();
    await review(page, 'plans-history-ja-desk');
    const form = page.getByRole('form', { name: '月4回プランの名前と説明' });
    await form.getByLabel('プラン名').fill('月4回プラン(平日)');
    await form.getByLabel('説明').fill('平日のレッスンに月4回まで参加できます。');
    await form.getByRole('button', { name: '名前と説明を保存' }).click();
    await page.getByText('月4回プラン(平日)を保存しました。').waitFor();
    expect(await ok('GET', `/api/plans/${plan.id}`)).toMatchObject({ name: '月4回プラン(平日)', description: '平日のレッスンに月4回まで参加できます。', currentVersion: 2 });
  });

  it('fits the smallest phone in English too: every set-up screen accessible, a one-off lesson planned, an instructor archived', async () => {
    // Runs after the first test: the studio now has a location, a room with a seat map, a type and a series.
    const page = await ownerPage(320, 568, 'en');
    for (const path of ['/setup', '/setup/rooms', '/setup/instructors', '/setup/lesson-types', '/setup/booking', '/lessons/new', '/plans']) {
      await page.goto(`${web.base}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForFunction(() => document.querySelector('.skeleton') === null);
      await fitsWidth(page, 320);
      await review(page, `setup-en-small${path.replaceAll('/', '-')}`);
    }
    await page.goto(`${web.base}/setup/rooms`);
    await page.getByRole('button', { name: 'Edit スタジオA' }).click();
    await page.getByRole('button', { name: 'Spot B2', exact: true }).waitFor();
    await fitsWidth(page, 320);
    await page.getByRole('heading', { name: 'Getting the studio ready' }).waitFor();

    // A one-off lesson, on a date picked in the English date field: the app opens it once planned.
    const day = addDays(formatters('en', timeZone).dayOf(new Date()), 9);
    await page.goto(`${web.base}/lessons/new`);
    await page.getByRole('radio', { name: 'One-off lesson' }).check();
    await page.getByLabel('Start time').fill('18:30');
    await fillDate(page, 'Date', day, 'en');
    await page.getByLabel('Notes').fill('Bring a towel');
    await page.getByRole('button', { name: 'Plan the lesson' }).click();
    await page.waitForURL(/\/lessons\/[0-9a-f-]{36}$/);
    const lessonId = page.url().split('/').pop();
    const lesson = await staffApi(web.platform, web.T).ok('GET', `/api/lessons/${lessonId}`);
    expect(lesson).toMatchObject({ notes: 'Bring a towel', capacity: 8 });
    expect(formatters('en', timeZone).dayOf(lesson.startsAt)).toBe(day);
    expect(formatters('en', timeZone).clock(lesson.startsAt)).toBe('18:30');

    // A guest instructor added, then archived after the question: off the list.
    await page.goto(`${web.base}/setup/instructors`);
    await page.getByLabel('Name shown to members').fill('Ken Mori');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'Edit Ken Mori' }).click();
    await page.getByRole('form', { name: 'Archive Ken Mori' }).getByRole('button', { name: 'Archive' }).click();
    const ask = page.getByRole('alertdialog');
    await ask.getByText('Archive Ken Mori? It is taken off the lists').waitFor();
    await expectAccessible(page, 'archive question, 320 px');
    await ask.getByRole('button', { name: 'Yes, archive' }).click();
    await page.getByText('Ken Mori archived.').waitFor();
    await page.getByRole('cell', { name: 'Ken Mori', exact: true }).waitFor({ state: 'detached' });
    expect((await staffApi(web.platform, web.T).ok('GET', '/api/instructors')).items.map((i: { displayName: string }) => i.displayName)).toEqual(['佐藤 愛子']);
  });
});
