// End-to-end test of the web dashboard in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real ntm-server. The server and its data (the Thiện Kế demo commune,
// accounts of every role, a second commune, field records with EXIF photos and a conflict) are
// set up by the Rust test tests/tests/dashboard_browser.rs, which runs this file with
// `node --test` and then reads the downloaded XLSX report with calamine.
//
// Environment (set by that test): NTM_BASE_URL, NTM_USERS (JSON: role -> [user, password]),
// NTM_WORLD (JSON: far_sign, conflict_entity, spare_device, spare_token, spare_next_seq),
// NTM_DOWNLOADS (directory for the report), CHROMIUM (default /usr/bin/chromium).
// Screenshots of every page go to artifacts/screenshots/dashboard/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots', 'dashboard');
const BASE = process.env.NTM_BASE_URL;
const USERS = JSON.parse(process.env.NTM_USERS || '{}');
const WORLD = JSON.parse(process.env.NTM_WORLD || '{}');
const DOWNLOADS = process.env.NTM_DOWNLOADS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

assert.ok(BASE, 'NTM_BASE_URL is set: this spec is run by tests/tests/dashboard_browser.rs');
mkdirSync(SHOTS, { recursive: true });

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

async function shot(page, name) {
  await page.waitForTimeout(100);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** A fresh browser context (its own cookies), logged in through the login form as `role`. */
async function loginAs(role, { screenshot } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 900 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${BASE}/dashboard/login`);
  const [user, password] = USERS[role];
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  if (screenshot) await shot(page, screenshot);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/dashboard/login')), page.click('button[type=submit]')]);
  return { context, page };
}

const rowText = async (page, id) => (await page.locator(`#ind-${id.replace('.', '\\.')}`).innerText()).replace(/\s+/g, ' ');

test('an officer logs in and reads the plan\'s figures on the scorecard', async () => {
  const { context, page } = await loginAs('officer', { screenshot: '01-login' });
  assert.match(new URL(page.url()).pathname, /^\/dashboard\/c\/thien-ke/);
  await page.goto(`${BASE}/dashboard/c/thien-ke?as_of=2020-02-15`);
  const road = await rowText(page, '2.4');
  for (const expected of ['24,62 %', '6,4 / 26 km', '≥ 50 %', 'Chưa đạt', '6,6 km']) {
    assert.ok(road.includes(expected), `2.4 shows ${expected}: ${road}`);
  }
  assert.ok((await rowText(page, '15.1')).includes('90,5 %'));
  assert.ok((await rowText(page, '15.3')).includes('12,8 %'));
  assert.match(await page.locator('#criteria-met').innerText(), /^\d+\/19$/);
  assert.ok(await page.locator('figure.chart svg').count() >= 1, 'the trend is drawn');
  await shot(page, '02-scorecard');
  // The date picker: after the March road, 2.4 has moved.
  await page.fill('input[name=as_of]', '2020-03-31');
  await Promise.all([page.waitForURL(/as_of=2020-03-31/), page.click('form.asof button')]);
  assert.ok((await rowText(page, '2.4')).includes('26,54 %'));
  await shot(page, '03-scorecard-march');
  await page.click('a.lang');
  await page.waitForSelector('html[lang=en]');
  assert.ok((await rowText(page, '2.4')).includes('26.54 %'));
  await shot(page, '04-scorecard-english');
  await page.click('a.lang');
  await page.waitForSelector('html[lang=vi]');
  await page.goto(`${BASE}/dashboard/c/thien-ke/villages?as_of=2020-03-31`);
  const thon3 = page.locator('#quotas tr[data-village="thien-ke-03"] td[data-measure="field_road_km"]');
  assert.ok((await thon3.innerText()).includes('0,5 / 0,5'), await thon3.innerText());
  assert.equal(await thon3.locator('.bar.done').count(), 1);
  const total = (await page.locator('#quotas tr.total td[data-measure="field_road_km"]').innerText()).replace(/\s+/g, ' ');
  assert.ok(total.includes('0,5 / 6,9'), total);
  await shot(page, '05-villages');
  await context.close();
});

test('the map draws the roads and signs without internet tiles, with popups to the records', async () => {
  const { context, page } = await loginAs('officer');
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(BASE)) external.push(r.url()); });
  await page.goto(`${BASE}/dashboard/c/thien-ke/map`);
  await page.waitForSelector('#map.ready');
  // The phones' 2 roads and 4 signs, and the demo's 4 planned roads and 6 signs.
  assert.equal(await page.locator('#map').getAttribute('data-features'), '16');
  assert.equal(await page.locator('#map path.ntm-road').count(), 6);
  assert.equal(await page.locator('#map path.ntm-sign').count(), 10);
  assert.equal(await page.locator('#map .leaflet-tile').count(), 0, 'no tiles: a plain background');
  await page.locator('#map path.ntm-road').first().click({ force: true });
  const popup = page.locator('.leaflet-popup-content');
  await popup.waitFor();
  assert.match(await popup.innerText(), /Đường/);
  await shot(page, '06-map');
  await popup.locator('a').click();
  await page.waitForURL(/\/records\//);
  await shot(page, '07-record-road');
  assert.deepEqual(external, [], 'nothing is fetched from outside the server');
  await context.close();
});

test('a record shows its photo, the EXIF check against its position and its history', async () => {
  const { context, page } = await loginAs('officer');
  await page.goto(`${BASE}/dashboard/c/thien-ke/records`);
  await shot(page, '08-records');
  await page.goto(`${BASE}/dashboard/c/thien-ke/records/${WORLD.far_sign}`);
  const thumb = page.locator('img.thumb').first();
  await thumb.waitFor();
  await page.waitForFunction(() => { const i = document.querySelector('img.thumb'); return i && i.complete && i.naturalWidth > 0; });
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320), 'the thumbnail loads, small');
  assert.ok((await page.locator('p.far').innerText()).includes('ảnh chụp xa vị trí hồ sơ'));
  assert.match(await page.locator('.distance').innerText(), /^1\.\d{3} m$/);
  assert.equal(await page.locator('section.history tbody tr').count(), 1);
  await shot(page, '09-record-photo-evidence');
  const [full] = await Promise.all([context.waitForEvent('page'), page.locator('a.full').first().click()]);
  const response = await full.waitForLoadState().then(() => full.evaluate(() => document.contentType));
  assert.equal(response, 'image/jpeg');
  await shot(full, '10-photo-full');
  await context.close();
});

test('an officer resolves a conflict by choosing a version', async () => {
  const { context, page } = await loginAs('officer');
  await page.goto(`${BASE}/dashboard/c/thien-ke/conflicts`);
  assert.equal(await page.locator('#conflicts tbody tr').count(), 1);
  await shot(page, '11-conflicts');
  await page.click(`#conflicts tr[data-entity="${WORLD.conflict_entity}"] a`);
  await page.waitForSelector('#conflict article.head');
  assert.equal(await page.locator('#conflict article.head').count(), 2);
  await shot(page, '12-conflict-record');
  // Keeping one version asks first.
  const first = page.locator('#conflict article.head').first();
  await first.locator('details.confirm > summary').click();
  assert.ok((await first.innerText()).includes('các phiên bản còn lại không còn được tính nữa'));
  await Promise.all([page.waitForURL(/ok=cf\.resolved/), first.locator('details.confirm button').click()]);
  assert.ok((await page.locator('p.flash.ok').innerText()).includes('Đã hợp nhất'));
  assert.equal(await page.locator('#conflict').count(), 0);
  assert.equal(await page.locator('section.history tbody tr').count(), 4, 'the original, both edits and the merge');
  await shot(page, '13-conflict-resolved');
  await page.goto(`${BASE}/dashboard/c/thien-ke/conflicts`);
  assert.ok((await page.locator('main').innerText()).includes('Không có xung đột nào'));
  await context.close();
});

test('changing a target override changes the verdict', async () => {
  const { context, page } = await loginAs('officer');
  await page.goto(`${BASE}/dashboard/c/thien-ke?as_of=2020-03-31`);
  assert.ok((await rowText(page, '2.4')).includes('Chưa đạt'));
  await page.goto(`${BASE}/dashboard/c/thien-ke/settings`);
  await page.selectOption('#targets select[name=indicator]', '2.4');
  await page.fill('#targets input[name=threshold]', '25');
  await page.fill('#targets input[name=source]', 'Nghị quyết HĐND xã Thiện Kế số 01/NQ-HĐND (thử nghiệm)');
  await shot(page, '14-settings');
  await Promise.all([page.waitForURL(/ok=set\.saved/), page.click('#targets form button')]);
  assert.ok((await page.locator('#thresholds tr[data-indicator="2.4"]').innerText()).includes('≥ 25 %'));
  await page.goto(`${BASE}/dashboard/c/thien-ke?as_of=2020-03-31`);
  const road = await rowText(page, '2.4');
  assert.ok(road.includes('✔ Đạt') && road.includes('≥ 25 %') && road.includes('xã'), road);
  await shot(page, '15-scorecard-after-override');
  // The override removed: the province's 50 % is back.
  await page.goto(`${BASE}/dashboard/c/thien-ke/settings`);
  await Promise.all([page.waitForURL(/ok=set\.saved/), page.click('#thresholds tr[data-indicator="2.4"] button')]);
  await page.goto(`${BASE}/dashboard/c/thien-ke?as_of=2020-03-31`);
  assert.ok((await rowText(page, '2.4')).includes('Chưa đạt'));
  await context.close();
});

test('an enrollment code comes with its QR code, and a revoked device is refused at its next push', async () => {
  const { context, page } = await loginAs('officer');
  await page.goto(`${BASE}/dashboard/c/thien-ke/devices`);
  await page.fill('#enroll input[name=holder]', 'Nguyễn Văn Thôn');
  await page.click('#enroll button');
  await page.waitForSelector('#enrollment-code');
  assert.match(await page.locator('#enrollment-code').innerText(), /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  const qr = page.locator('#enrollment-qr svg');
  assert.equal(await qr.count(), 1);
  const box = await qr.boundingBox();
  assert.ok(box.width >= 200 && box.height >= 200, 'a QR code big enough to scan');
  assert.match(await page.locator('#enrollment-qr').getAttribute('data-uri'), /^ntmfield:\/\/enroll\?server=.*&code=/);
  await shot(page, '16-enrollment-qr');

  await page.goto(`${BASE}/dashboard/c/thien-ke/devices`);
  const row = page.locator(`#devices tr[data-device="${WORLD.spare_device}"]`);
  // Revoking asks first: the first click only says what it does.
  await row.locator('details.confirm > summary').click();
  assert.ok((await row.innerText()).includes('Thiết bị sẽ không gửi được dữ liệu nữa'));
  await shot(page, '17a-device-revoke-asks');
  await Promise.all([page.waitForURL(/ok=dev\.revoked_done/), row.locator('button', { hasText: 'Thu hồi thiết bị này' }).click()]);
  assert.ok((await row.innerText()).includes('đã thu hồi'));
  await shot(page, '17-device-revoked');
  const push = await fetch(`${BASE}/api/v1/sync/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WORLD.spare_token}` },
    body: JSON.stringify({ device_id: WORLD.spare_device, first_seq: WORLD.spare_next_seq, versions: [] }),
  });
  assert.equal(push.status, 401);
  assert.equal((await push.json()).error.code, 'device_revoked');
  await context.close();
});

test('the quarterly XLSX report downloads from the reports page', async () => {
  const { context, page } = await loginAs('officer');
  await page.goto(`${BASE}/dashboard/c/thien-ke/reports`);
  await page.fill('#xlsx input[name=period]', '2020-Q1');
  await shot(page, '18-reports');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-xlsx')]);
  assert.equal(download.suggestedFilename(), 'bao-cao-ntm-thien-ke-2020-Q1.xlsx');
  await download.saveAs(path.join(DOWNLOADS, 'report-2020-Q1.xlsx'));
  const [geo] = await Promise.all([page.waitForEvent('download'), page.click('#geojson a')]);
  await geo.saveAs(path.join(DOWNLOADS, 'thien-ke.geojson'));
  await page.goto(`${BASE}/dashboard/c/thien-ke/households`);
  await shot(page, '19-households');
  await context.close();
});

test('a viewer reads but cannot change targets, and forms without their token are refused', async () => {
  const { context, page } = await loginAs('viewer');
  await page.goto(`${BASE}/dashboard/c/thien-ke/settings`);
  assert.equal(await page.locator('#targets form').count(), 0, 'no form to change a target');
  await shot(page, '20-settings-viewer');
  // A hand-made form with the viewer's own valid token: refused by role.
  const status = await page.evaluate(async () => {
    const csrf = document.querySelector('input[name=csrf]').value;
    const body = new URLSearchParams({ csrf, indicator: '2.4', threshold: '1', source: 'x' });
    const r = await fetch('/dashboard/c/thien-ke/settings/target', { method: 'POST', body });
    return r.status;
  });
  assert.equal(status, 403);
  // The logout form with its token removed: refused, still logged in.
  await page.evaluate(() => document.querySelector('form[action="/dashboard/logout"] input[name=csrf]').remove());
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form[action="/dashboard/logout"] button')]);
  assert.equal(response.status(), 403);
  await shot(page, '21-csrf-refused');
  await page.goto(`${BASE}/dashboard/c/thien-ke`);
  assert.equal(new URL(page.url()).pathname, '/dashboard/c/thien-ke', 'the session is still there');
  // Another commune's pages.
  const other = await page.goto(`${BASE}/dashboard/c/vinh-loi`);
  assert.equal(other.status(), 403);
  await shot(page, '22-other-commune-403');
  await page.goto(`${BASE}/dashboard/c/thien-ke`);
  await Promise.all([page.waitForURL(/\/dashboard\/login/), page.click('form[action="/dashboard/logout"] button')]);
  await context.close();
});

test('a province official sees the province\'s communes side by side', async () => {
  const { context, page } = await loginAs('province');
  assert.equal(new URL(page.url()).pathname, '/dashboard/overview');
  const communes = await page.locator('#overview tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.commune));
  assert.deepEqual(communes.sort(), ['minh-quang', 'thien-ke', 'vinh-loi']);
  const thienKe = (await page.locator('#overview tr[data-commune="thien-ke"]').innerText()).replace(/\s+/g, ' ');
  assert.match(thienKe, /\d+\/19/);
  assert.ok(thienKe.includes('2.4'), `the furthest indicators include 2.4: ${thienKe}`);
  await shot(page, '23-overview-province');
  await page.click('a[href*="sort=met"]');
  await page.waitForURL(/sort=met/);
  await page.click('#overview tr[data-commune="thien-ke"] td a');
  await page.waitForURL(/\/dashboard\/c\/thien-ke/);
  await shot(page, '24-province-to-commune');
  await context.close();
});

test('an official of a former district sees the communes of that district, and another district\'s commune answers 403', async () => {
  const { context, page } = await loginAs('district');
  assert.equal(new URL(page.url()).pathname, '/dashboard/overview');
  assert.ok((await page.locator('#scope').innerText()).includes('Huyện cũ Sơn Dương, Tỉnh Tuyên Quang'));
  const communes = await page.locator('#overview tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.commune));
  assert.deepEqual(communes.sort(), ['thien-ke', 'vinh-loi'], 'Minh Quang is in Chiêm Hóa, Lũng Cú in Hà Giang');
  const thienKe = (await page.locator('#overview tr[data-commune="thien-ke"]').innerText()).replace(/\s+/g, ' ');
  assert.match(thienKe, /\d+\/19/);
  assert.ok(thienKe.includes('2.4'), `the furthest indicators include 2.4: ${thienKe}`);
  assert.equal(await page.locator('form[action="/dashboard/province-target"]').count(), 0);
  await shot(page, '27-overview-district');
  await page.click('a[href*="sort=gap"]');
  await page.waitForURL(/sort=gap/);
  // Vĩnh Lợi has nothing recorded or assessed: "no data yet", on the overview and its card,
  // never "0/19".
  assert.ok((await page.locator('#overview tr[data-commune="vinh-loi"] td.met').innerText()).includes('Chưa có dữ liệu'));
  await page.click('#overview tr[data-commune="vinh-loi"] td a');
  await page.waitForURL(/\/dashboard\/c\/vinh-loi/);
  assert.equal(await page.locator('#criteria-met').innerText(), 'Chưa có dữ liệu');
  await shot(page, '28-district-to-commune');
  const other = await page.goto(`${BASE}/dashboard/c/minh-quang`);
  assert.equal(other.status(), 403);
  assert.ok((await page.locator('p.flash.err').innerText()).includes('Bạn không có quyền'));
  await shot(page, '29-district-other-district-403');
  await context.close();
});

test('a value the server refuses is explained in Vietnamese, and in English when switched', async () => {
  const { context, page } = await loginAs('officer');
  await page.goto(`${BASE}/dashboard/c/thien-ke/settings`);
  await page.selectOption('#targets select[name=indicator]', '2.4');
  await page.fill('#targets input[name=threshold]', '150');
  await page.fill('#targets input[name=source]', 'thử');
  await Promise.all([page.waitForURL(/err=error\.threshold/), page.click('#targets form button')]);
  const vi = await page.locator('p.flash.err').innerText();
  assert.ok(vi.includes('Mức phải là một số từ 0 trở lên'), vi);
  await shot(page, '30-form-error-vietnamese');
  const refused = page.url();
  await page.click('a.lang');
  await page.waitForSelector('html[lang=en]');
  await page.goto(refused);
  const en = await page.locator('p.flash.err').innerText();
  assert.ok(en.includes('The threshold must be a number'), en);
  await shot(page, '31-form-error-english');
  await page.click('a.lang');
  await page.waitForSelector('html[lang=vi]');
  await context.close();
});

test('an administrator manages communes and accounts', async () => {
  const { context, page } = await loginAs('admin');
  await page.goto(`${BASE}/dashboard/admin/communes`);
  assert.equal(await page.locator('#communes tbody tr').count(), 4);
  await page.fill('input[name=id]', 'hop-thanh');
  await page.fill('input[name=name]', 'Hợp Thành');
  await page.fill('input[name=district]', 'Sơn Dương');
  await page.fill('input[name=province]', 'Tuyên Quang');
  await page.fill('textarea[name=villages]', 'hop-thanh-01, Thôn Cầu Trúc\nhop-thanh-02, Thôn Hợp Hòa');
  await Promise.all([page.waitForURL(/ok=com\.created/), page.click('form.grid button')]);
  assert.equal(await page.locator('#communes tbody tr').count(), 5);
  await shot(page, '25-admin-communes');
  await page.goto(`${BASE}/dashboard/c/hop-thanh/settings`);
  assert.equal(await page.locator('#villages input[name=name]').evaluateAll((xs) => xs.map((x) => x.value).filter((v) => v === 'Thôn Hợp Hòa').length), 1);
  await page.goto(`${BASE}/dashboard/admin/users`);
  await page.fill('input[name=username]', 'xem.vinhloi');
  await page.fill('input[name=password]', 'viewer-pass-2');
  await page.selectOption('select[name=role]', 'viewer');
  await page.selectOption('select[name=commune_id]', 'vinh-loi');
  await Promise.all([page.waitForURL(/ok=usr\.created/), page.click('form.grid button')]);
  assert.ok((await page.locator('#users').innerText()).includes('xem.vinhloi'));
  await shot(page, '26-admin-users');
  // Districts were abolished on 01/7/2025: a new account belongs to a province or a commune; an
  // account of a former district is listed as such.
  assert.equal(await page.locator('select[name=district]').count(), 0);
  await page.fill('input[name=username]', 'xem.tuyenquang');
  await page.fill('input[name=password]', 'province-pass-2');
  await page.selectOption('select[name=role]', 'officer');
  await page.selectOption('select[name=province]', 'Tuyên Quang');
  await Promise.all([page.waitForURL(/ok=usr\.created/), page.click('form.grid button')]);
  const row = (await page.locator('#users tr', { hasText: 'xem.tuyenquang' }).innerText()).replace(/\s+/g, ' ');
  assert.ok(row.includes('Tỉnh Tuyên Quang'), row);
  const former = (await page.locator('#users tr', { hasText: 'huyen.sonduong' }).innerText()).replace(/\s+/g, ' ');
  assert.ok(former.includes('Huyện cũ Sơn Dương, Tỉnh Tuyên Quang'), former);
  await shot(page, '32-admin-province-user');
  await context.close();
});
