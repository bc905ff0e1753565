// End-to-end test of the collector app: the liveview preview in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core) against a real ntm-server demo, both started
// here. One phone's day: enroll with the server's code, check a household with a photo through
// the file input, record a road while the geolocation override moves along a real-shaped track,
// place a sign, sync and see the server's scorecard change; then the server goes away, more work
// is saved offline, the server comes back on the same data directory, and nothing is lost.
//
// Run by `./dev test` (after building the binaries): node --test app.spec.mjs
// Environment: NTM_BIN_DIR (default ../../target/debug), NTM_SERVER_BIN (default ntm-server in
// NTM_BIN_DIR), CHROMIUM (default /usr/bin/chromium).
// Screenshots of every screen, in Vietnamese, go to artifacts/screenshots/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = process.env.NTM_BIN_DIR || path.join(ROOT, 'target', 'debug');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');
const ADMIN_PASSWORD = 'e2e-admin-password';
const COMMUNE = 'thien-ke';

// A field road in Thiện Kế: a gentle S-bend, about 450 m, as a motorbike rides it.
const ROAD = (() => {
  const points = [];
  const [lat0, lon0] = [21.7392, 105.3204];
  const mPerDegLat = 110_760;
  const mPerDegLon = 111_320 * Math.cos((lat0 * Math.PI) / 180);
  for (let i = 0; i <= 64; i++) {
    const along = i * 7; // metres east
    const across = 25 * Math.sin((along / 450) * 2 * Math.PI); // metres north
    points.push({ latitude: lat0 + across / mPerDegLat, longitude: lon0 + along / mPerDegLon });
  }
  return points;
})();

function geodesicishLength(points) {
  // Equirectangular sum: within 0.01 % of the geodesic over 450 m; the app uses the core's
  // exact geodesic, and the test allows 5 % for the smoothing of 4 m noise-free fixes.
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const dy = (b.latitude - a.latitude) * 110_760;
    const dx = (b.longitude - a.longitude) * 111_320 * Math.cos((a.latitude * Math.PI) / 180);
    sum += Math.hypot(dx, dy);
  }
  return sum;
}

/** "464 m" or "1,23 km" (Vietnamese decimal comma) in metres. */
function parseShownLength(text) {
  const t = text.trim();
  const n = Number(t.replace(/[^0-9,]/g, '').replace(',', '.'));
  return t.endsWith('km') ? n * 1000 : n;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a binary and resolves once `ready` matches a line of its output. */
// The server may come from elsewhere: `./dev test` passes the `ntm-server-test` build of its
// `cargo test` (the same command line) as NTM_SERVER_BIN, so that it is not built twice.
function binary(name) {
  if (name === 'ntm-server' && process.env.NTM_SERVER_BIN) return process.env.NTM_SERVER_BIN;
  return path.join(BIN, name);
}

function startProcess(name, args, ready, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary(name), args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    let settled = false;
    const onLine = (line) => {
      lines.push(line);
      if (!settled && ready.test(line)) {
        settled = true;
        resolve({ child, lines });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.on('data', (d) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    child.once('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`${name} exited with ${code} before it was ready:\n${lines.join('\n')}`));
      }
    });
    setTimeout(() => {
      if (!settled) {
        settled = true;
        child.kill('SIGKILL');
        reject(new Error(`${name} not ready in 60 s:\n${lines.join('\n')}`));
      }
    }, 60_000);
  });
}

async function stopProcess(proc) {
  if (!proc || proc.child.exitCode !== null) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startServer(dataDir, port) {
  const proc = await startProcess(
    'ntm-server',
    ['demo', '--data', dataDir, '--listen', `127.0.0.1:${port}`],
    /^listening on /,
    { NTM_ADMIN_USER: 'admin', NTM_ADMIN_PASSWORD: ADMIN_PASSWORD },
  );
  const codeLine = proc.lines.find((l) => l.includes('enrollment code:'));
  assert.ok(codeLine, `the demo prints an enrollment code:\n${proc.lines.join('\n')}`);
  proc.code = codeLine.split('enrollment code:')[1].trim().split(/\s+/)[0];
  proc.url = `http://127.0.0.1:${port}`;
  return proc;
}

async function scorecard(serverUrl) {
  const login = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  assert.equal(login.status, 200, 'admin login');
  const { token } = await login.json();
  const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
  const res = await fetch(`${serverUrl}/api/v1/communes/${COMMUNE}/scorecard?as_of=${today}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200, 'scorecard');
  return res.json();
}

const indicator = (card, id) => card.criteria.flatMap((c) => c.indicators).find((i) => i.id === id);
const measure = (card, id) => card.measures.find((m) => m.id === id);

/** What the phone's screen shows, from the top of the page (phone-sized viewport). */
async function shot(page, name) {
  // A toast is tapped away first, so it does not hide the screen it sits on.
  if (await page.$('#toast')) {
    await page.click('#toast').catch(() => {});
    await page.waitForSelector('#toast', { state: 'detached', timeout: 5_000 }).catch(() => {});
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** A JPEG made by the browser itself (a canvas), as a phone camera would hand it over. */
async function cameraJpeg(page, label) {
  const b64 = await page.evaluate(async (text) => {
    const canvas = new OffscreenCanvas(1200, 900);
    const g = canvas.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 1200, 900);
    grad.addColorStop(0, '#6a8f3a');
    grad.addColorStop(1, '#c9b27c');
    g.fillStyle = grad;
    g.fillRect(0, 0, 1200, 900);
    g.fillStyle = '#fff';
    g.font = 'bold 64px sans-serif';
    g.fillText(text, 60, 450);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }, label);
  return { name: `${label}.jpg`, mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

async function attachPhoto(page, fieldId, label) {
  await page.setInputFiles(`#${fieldId}-input`, await cameraJpeg(page, label));
  await page.waitForSelector(`#${fieldId}-state:has-text("Đã có ảnh")`, { timeout: 30_000 });
}

async function answerCheckAllYes(page) {
  await page.click('#f-body-toilet-type-septic');
  for (const item of ['tank_sealed', 'tank_vent', 'water_seal_pan', 'outflow_safe', 'flush_water', 'clean_no_smell']) {
    await page.click(`#f-body-toilet-checklist-${item}`);
  }
  for (const q of [
    'toilet-meets_standard', 'bathroom_hygienic', 'water_tank_hygienic', 'three_cleans-house',
    'three_cleans-kitchen', 'three_cleans-lane', 'water-hygienic', 'water-clean', 'livestock-raises',
    'livestock-pen_hygienic', 'waste_handled', 'drainage_ok',
  ]) {
    await page.click(`#f-body-${q}-yes`);
  }
  await page.fill('#f-body-health_insurance-insured', '3');
}

async function goHome(page) {
  for (let screen = await page.getAttribute('.app', 'data-screen'); screen !== 'home';) {
    await page.click('#back');
    await page.waitForFunction((s) => document.querySelector('.app')?.dataset.screen !== s, screen);
    screen = await page.getAttribute('.app', 'data-screen');
  }
}

async function waitForNothingWaiting(page) {
  await page.waitForSelector('#home-waiting:has-text("Không còn gì chờ gửi")', { timeout: 60_000 });
}

async function syncNow(page) {
  await page.click('#go-sync');
  await page.waitForSelector('#screen-sync');
  await page.click('#sync-now');
}

test('a field day: enroll, check, record, place, sync, go offline, come back, nothing lost', { timeout: 600_000 }, async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  for (const old of readdirSync(SHOTS).filter((f) => f.startsWith('failure-'))) rmSync(path.join(SHOTS, old));
  const work = mkdtempSync(path.join(tmpdir(), 'ntm-e2e-'));
  const serverData = path.join(work, 'server');
  const phoneData = path.join(work, 'phone');
  const port = await freePort();
  let server = await startServer(serverData, port);
  const preview = await startProcess(
    'ntm-preview',
    ['--listen', '127.0.0.1:0', '--data', phoneData, '--server', server.url],
    /^app preview: /,
  );
  const appUrl = preview.lines.find((l) => l.startsWith('app preview: ')).split(': ')[1].trim();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 412, height: 860 },
      locale: 'vi-VN',
      timezoneId: 'Asia/Ho_Chi_Minh',
      permissions: ['geolocation'],
      geolocation: { ...ROAD[0], accuracy: 4 },
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const before = await scorecard(server.url);
    // Steps run in order and each needs the one before: after a failure the rest are skipped,
    // and the screen at the failure is kept as artifacts/screenshots/failure-*.png.
    let broken = null;
    const step = (name, fn) =>
      t.test(name, { skip: broken ? `after the failure of "${broken}"` : false }, async () => {
        try {
          await fn();
        } catch (e) {
          broken = name;
          await shot(page, `failure-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`).catch(() => {});
          throw e;
        }
      });

    await step('enroll with a code from the server', async () => {
      await page.goto(appUrl);
      await page.waitForSelector('#screen-enroll');
      assert.equal(await page.inputValue('#f-server'), server.url, 'the preview prefills the server');
      await shot(page, '01-enroll');
      await page.fill('#f-code', 'WRONG-CODE');
      await page.click('#enroll-submit');
      await page.waitForSelector('#f-code-error:has-text("Mã đăng ký không đúng")');
      await page.fill('#f-code', server.code);
      await page.click('#enroll-submit');
      await page.waitForSelector('#screen-home');
      await page.waitForSelector('#home-link:has-text("Đã kết nối máy chủ")', { timeout: 60_000 });
      assert.equal(await page.textContent('#home-commune'), 'Thiện Kế');
      await shot(page, '02-home');
    });

    await step('check a household with a photo through the file input', async () => {
      await page.click('#go-households');
      await page.waitForSelector('#household-TK01-001');
      await shot(page, '03-households');
      await page.click('#household-TK01-001');
      await page.waitForSelector('#screen-check');
      assert.match(await page.textContent('#verdict-17-6'), /Chưa đủ câu trả lời/);
      // Saved from the bottom of the empty form: the first question to fix comes into view.
      await page.locator('#f-body-drainage_ok').scrollIntoViewIfNeeded();
      await page.click('#check-save');
      await page.waitForSelector('.field-error');
      await page.waitForFunction(() => {
        const e = document.querySelector('.field-error');
        const r = (e.closest('.field') || e).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
      }, null, { timeout: 5_000 });
      // Answers derived from others: clean water is hygienic water.
      await page.click('#f-body-water-clean-yes');
      await page.waitForSelector('#f-body-water-hygienic-yes[aria-pressed="true"]');
      await answerCheckAllYes(page);
      await page.waitForSelector('#verdict-17-6[data-verdict="Met"]');
      await page.click('#f-body-three_cleans-lane-no');
      await page.waitForSelector('#verdict-17-6[data-verdict="NotMet"]');
      await page.click('#f-body-three_cleans-lane-yes');
      await page.waitForSelector('#verdict-17-6[data-verdict="Met"]');
      await attachPhoto(page, 'f-photos', 'TK01-001');
      await page.waitForSelector('#check-location:has-text("Đã có vị trí")');
      await shot(page, '04-household-check');
      await page.click('#check-save');
      await page.waitForSelector('#household-TK01-001 .badge.met');
      await goHome(page);
    });

    let shownMetres = 0;
    let savedMetres = 0;
    await step('record a road while the GPS moves along it, and see its length', async () => {
      await page.click('#go-road');
      await page.waitForSelector('#screen-road');
      await shot(page, '05-road-ready');
      await page.click('#road-start');
      for (const p of ROAD) {
        await context.setGeolocation({ ...p, accuracy: 4 });
        await sleep(120);
      }
      await page.waitForFunction(
        (n) => Number(document.querySelector('#road-points strong')?.textContent.replace(/\./g, '')) >= n,
        ROAD.length - 2,
        { timeout: 30_000 },
      );
      shownMetres = Number(await page.getAttribute('#road-length', 'data-metres'));
      const truth = geodesicishLength(ROAD);
      assert.ok(Math.abs(shownMetres - truth) / truth < 0.05, `length ${shownMetres} m vs ${truth} m`);
      assert.match(await page.textContent('#road-length'), /^\d+ m$/);
      await shot(page, '06-road-recording');
      await page.click('#road-pause');
      await page.waitForSelector('#road-resume');
      await page.click('#road-resume');
      await page.click('#road-stop');
      await page.waitForSelector('#screen-road-details');
      savedMetres = parseShownLength(await page.textContent('#road-details-length'));
      assert.ok(Math.abs(savedMetres - shownMetres) / shownMetres < 0.03, `${savedMetres} m saved vs ${shownMetres} m shown`);
      await page.fill('#f-body-name', 'Đường nội đồng Đồng Bến');
      await page.click('#f-body-road_class-field_main');
      await page.click('#f-body-surface-concrete');
      await page.fill('#f-body-width_m', '3,5');
      await page.click('#f-body-works-upgrade');
      await page.click('#f-body-status-completed');
      await page.selectOption('#f-village_id', 'thien-ke-03');
      await attachPhoto(page, 'f-photos-start', 'dau-tuyen');
      await attachPhoto(page, 'f-photos-end', 'cuoi-tuyen');
      await shot(page, '07-road-details');
      await page.click('#road-save');
      await page.waitForSelector('#screen-home');
    });

    await step('place a sign with an averaged position', async () => {
      await page.click('#go-sign');
      await page.waitForSelector('#screen-sign');
      await page.click('#sign-take-position');
      for (let i = 0; i < 14; i++) {
        await context.setGeolocation({ latitude: 21.7401 + i * 1e-6, longitude: 105.3221, accuracy: 5 });
        await sleep(120);
      }
      await page.waitForSelector('#sign-position.good', { timeout: 30_000 });
      await page.click('#f-body-condition-good');
      await page.selectOption('#f-village_id', 'thien-ke-01');
      await page.fill('#household-search', 'TK01-002');
      await page.click('#pick-TK01-002');
      await attachPhoto(page, 'f-photos', 'bien-bao');
      await shot(page, '08-sign');
      await page.click('#sign-save');
      await page.waitForSelector('#screen-home');
    });

    await step('sync, and the server scorecard changes', async () => {
      await syncNow(page);
      await page.waitForSelector('#sync-waiting:has-text("Chờ gửi: 0 bản ghi, 0 ảnh")', { timeout: 60_000 });
      await shot(page, '09-sync');
      await page.click('#back');
      await waitForNothingWaiting(page);
      const after = await scorecard(server.url);
      assert.equal(indicator(before, '17.6').coverage.checked, 0);
      assert.equal(indicator(after, '17.6').coverage.checked, 1, 'the household check reached the server');
      assert.equal(measure(after, 'signs_placed').value, measure(before, 'signs_placed').value + 1);
      const km = indicator(after, '2.4').numerator - indicator(before, '2.4').numerator;
      assert.ok(Math.abs(km * 1000 - savedMetres) <= 0.5, `the server counts the same ${savedMetres} m (got ${km} km)`);
    });

    await step('progress, records and settings screens', async () => {
      await page.click('#go-progress');
      await page.waitForSelector('#progress-summary');
      assert.match(await page.textContent('#indicator-17-6'), /Đã kiểm tra 1\/\d+ hộ/);
      await shot(page, '10-progress');
      await page.click('#back');
      await page.click('#go-records');
      await page.click('#records-tab-synced');
      await page.waitForSelector('#records-tab-synced:has-text("(3)")');
      await shot(page, '11-records');
      await page.click('#back');
      await page.click('#go-settings');
      await page.waitForSelector('#settings-server-url');
      await shot(page, '12-settings');
      await page.click('#back');
    });

    await step('offline: the server stops, work goes on and waits', async () => {
      await stopProcess(server);
      await page.click('#go-households');
      await page.click('#household-TK01-002');
      await answerCheckAllYes(page);
      await page.click('#f-body-bathroom_hygienic-no');
      await page.click('#check-save');
      await page.waitForSelector('#household-TK01-002 .badge.not-met');
      await goHome(page);
      await page.click('#go-sign');
      await page.click('#sign-take-position');
      for (let i = 0; i < 14; i++) {
        await context.setGeolocation({ latitude: 21.7411 + i * 1e-6, longitude: 105.3231, accuracy: 5 });
        await sleep(120);
      }
      await page.waitForSelector('#sign-position.good', { timeout: 30_000 });
      await page.click('#f-body-condition-damaged');
      await page.selectOption('#f-village_id', 'thien-ke-02');
      await attachPhoto(page, 'f-photos', 'bien-bao-2');
      await page.click('#sign-save');
      await page.waitForSelector('#home-waiting:has-text("Chờ gửi: 2 bản ghi, 1 ảnh")');
      await syncNow(page);
      await page.waitForSelector('#sync-error:has-text("Dữ liệu vẫn an toàn trên máy")', { timeout: 60_000 });
      await shot(page, '13-sync-offline');
      await page.click('#back');
      await page.waitForSelector('#home-link:has-text("Không có mạng")');
      await shot(page, '14-home-offline');
    });

    await step('the server comes back on the same data: sync, nothing lost', async () => {
      server = await startServer(serverData, port);
      await syncNow(page);
      await page.waitForSelector('#sync-waiting:has-text("Chờ gửi: 0 bản ghi, 0 ảnh")', { timeout: 90_000 });
      await page.click('#back');
      await waitForNothingWaiting(page);
      const card = await scorecard(server.url);
      assert.equal(indicator(card, '17.6').coverage.checked, 2, 'both household checks are on the server');
      assert.equal(measure(card, 'signs_placed').value, measure(before, 'signs_placed').value + 2,
        'a damaged sign still counts as placed (only a missing one does not)');
      await page.click('#go-records');
      await page.click('#records-tab-synced');
      await page.waitForSelector('#records-tab-synced:has-text("(5)")');
      await page.waitForSelector('#records-tab-pending:has-text("(0)")');
    });
  } finally {
    await browser.close();
    await stopProcess(preview);
    await stopProcess(server);
    rmSync(work, { recursive: true, force: true });
  }
});
