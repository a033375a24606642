// Drives the Custody web app in Debian's headless Chromium through Playwright (playwright-core).
// test_web.py starts custodyd, the OIDC provider and the bucket, then runs this script with one
// JSON argument:
//   {"phase", "base_url", "organization_id", "entity_id", "entity_name", "hidden_evidence_id",
//    "file_path", "large_file_path", "screenshot_dir", "contributor": "alice", "viewer": "bob",
//    "outage_evidence_id", "outage_title", "download_file_name", "download_expected_path",
//    "screenshot_prefix", "profile_dir", "two_tabs"}
// Phase "main" signs in, uploads a small file (one PUT) and a large one (multipart), downloads
// both, searches and checks roles. Phase "queue" runs while the bucket is cut off: it uploads
// into the queue, queues a download of `download_file_name` and reloads. Phase "interrupt"
// runs while the proxy cuts part uploads after the first: the large file's upload stops and
// is queued. Phase "resume" reopens the same browser profile after the bucket is back and
// waits for the queued upload to be stored and, when `download_expected_path` is set, for the
// queued download to start by itself with those bytes. With `two_tabs` it opens the page twice.
// The script exits 0 when every check passed and prints one line per step.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';

import { chromium } from 'playwright-core';

const settings = JSON.parse(process.argv[2]);
const STEP_TIMEOUT_MS = 60_000;

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function step(text) {
  console.log(`web_flow: ${text}`);
}

// Console errors of the app's pages fail the test, except the browser's report of a response
// status that the step caused on purpose (the 401 before sign-in, the forced 403, the
// out-of-scope 404). The test IdP's own pages are not checked.
function watchConsole(page, label, errors, expectedStatuses) {
  page.on('console', (message) => {
    if (message.type() !== 'error' || !page.url().startsWith(settings.base_url)) {
      return;
    }
    const text = message.text();
    const status = /status of (\d{3})/.exec(text);
    if (text.startsWith('Failed to load resource') && status && expectedStatuses.has(Number(status[1]))) {
      return;
    }
    errors.push(`${label}: ${text} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`${label}: uncaught ${error.message}`));
}

async function signIn(page, user) {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Organization ID').fill(settings.organization_id);
  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  // The test IdP's login form.
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill(`${user}-password`);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function shot(page, name) {
  await page.screenshot({ path: join(settings.screenshot_dir, `${name}.png`), fullPage: true });
}

// A common laptop screen, so that the screenshots show what such a user sees.
const VIEWPORT = { width: 1366, height: 768 };

const LAUNCH_OPTIONS = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  // Without the networking flags Chromium keeps calling hosts that this machine cannot reach.
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

// Network errors of requests to the cut-off bucket are the outage itself.
const OUTAGE_ERRORS = ['ERR_CONNECTION_REFUSED', 'ERR_CONNECTION_RESET', 'ERR_EMPTY_RESPONSE'];

function unexpectedErrors(errors) {
  return errors.filter((text) => !OUTAGE_ERRORS.some((code) => text.includes(code)));
}

// The outage phases share one profile, so that cookies and IndexedDB outlive the browser.
async function outagePhase(phase) {
  const context = await chromium.launchPersistentContext(settings.profile_dir, {
    ...LAUNCH_OPTIONS,
    acceptDownloads: true,
    viewport: VIEWPORT,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  currentPage = page;
  const outageErrors = [];
  try {
    watchConsole(page, phase, outageErrors, new Set([401, 502, 503]));
    if (phase === 'resume') {
      await resumePhase(page, outageErrors);
    } else {
      await queuePhase(page, phase, outageErrors);
    }
  } finally {
    await context.close();
  }
}

async function resumePhase(page, outageErrors) {
  const fileName = basename(settings.file_path);
  // The queue starts at page load, so the download may begin before the page is drawn.
  const download = settings.download_expected_path
    ? page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS })
    : null;
  const url = `${settings.base_url}/evidence/${settings.outage_evidence_id}`;
  const tabs = [page];
  if (settings.two_tabs) {
    // Both tabs start the shared queue at page load; the test's proxy log shows whether a
    // part went twice. The tab that stored the upload tells the other one to redraw.
    const other = await page.context().newPage();
    watchConsole(other, 'second tab', outageErrors, new Set([401, 502, 503]));
    tabs.push(other);
    await Promise.all(tabs.map((tab) => tab.goto(url)));
  } else {
    await page.goto(url);
  }
  for (const tab of tabs) {
    const row = tab.getByRole('row').filter({ hasText: fileName });
    await row.getByText('stored', { exact: true }).waitFor();
  }
  await shot(page, `${settings.screenshot_prefix}-resumed`);
  step('the queued upload resumed by itself and is stored');
  if (download !== null) {
    const savedPath = join(downloads, 'queued-download.bin');
    await (await download).saveAs(savedPath);
    const expected = sha256(readFileSync(settings.download_expected_path));
    assert.equal(sha256(readFileSync(savedPath)), expected,
      'the bytes of the queued download differ from the stored file');
    step('the queued download started by itself and its bytes match');
  }
  assert.deepEqual(outageErrors, [], 'the page logged console errors after the outage');
}

async function queuePhase(page, phase, outageErrors) {
  const fileName = basename(settings.file_path);
  await page.goto(`${settings.base_url}/evidence/${settings.outage_evidence_id}`);
  await signIn(page, settings.contributor);
  await page.getByRole('heading', { name: settings.outage_title }).waitFor();
  await page.locator('#file-input').setInputFiles(settings.file_path);
  // The page re-renders after the upload, so the versions table shows the queued state.
  const queuedRow = page.locator('tr[data-state="queued"]').filter({ hasText: fileName });
  await queuedRow.waitFor();
  await page.getByText(/1 queued upload will resume by itself/).waitFor();
  step('the upload is queued while the bucket cannot be reached');
  if (settings.download_file_name) {
    await page.getByRole('button', { name: `Download ${settings.download_file_name}` }).click();
    await page.getByText(/1 queued download will start by itself/).waitFor();
    const storedRow = page.getByRole('row').filter({ hasText: settings.download_file_name });
    await storedRow.getByText('download queued').waitFor();
    step('the download is queued while the bucket cannot be reached');
    // Another user uploaded that version: the table names them, not their user id.
    await storedRow.getByRole('cell', { name: 'Web Org admin' }).waitFor();
    assert.equal(await page.getByRole('cell', { name: /^usr_/ }).count(), 0,
      'a versions table shows a user id instead of a name');
    step('the versions table names the other user who uploaded a version');
  }
  await shot(page, `${settings.screenshot_prefix}-queued`);

  await page.reload();
  await page.getByRole('heading', { name: settings.outage_title }).waitFor();
  await page.getByText(/1 queued upload will resume by itself/).waitFor();
  if (settings.download_file_name) {
    await page.getByText(/1 queued download will start by itself/).waitFor();
  }
  await queuedRow.waitFor();
  step('the queue survives a reload');

  await page.getByRole('link', { name: 'Back to the entity' }).click();
  await page.getByRole('link', { name: settings.outage_title }).waitFor();
  step('browsing still works during the outage');
  assert.deepEqual(unexpectedErrors(outageErrors), [],
    `the page logged console errors during phase ${phase}`);
}

// Waits on the evidence page until the upload of `filePath` is stored, then downloads it and
// compares the bytes.
async function uploadedAndDownloaded(page, filePath, screenshot) {
  const fileName = basename(filePath);
  const downloadButton = page.getByRole('button', { name: `Download ${fileName}` });
  await downloadButton.waitFor();
  const versionRow = page.getByRole('row').filter({ hasText: fileName });
  await versionRow.getByText('stored', { exact: true }).waitFor();
  await shot(page, screenshot);
  const [download] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
  const savedPath = join(downloads, fileName);
  await download.saveAs(savedPath);
  assert.equal(sha256(readFileSync(savedPath)), sha256(readFileSync(filePath)),
    `the downloaded bytes of ${fileName} differ from the uploaded file`);
}

// Returns the names of the first `count` elements that Tab reaches from the page's main
// content, where each page puts the focus: the aria-label, else the text, else the id.
async function tabOrder(page, count) {
  await page.locator('main').focus();
  const names = [];
  for (let index = 0; index < count; index++) {
    await page.keyboard.press('Tab');
    names.push(await page.evaluate(() => {
      const element = document.activeElement;
      return element.getAttribute('aria-label') || element.textContent.trim() || element.id;
    }));
  }
  return names;
}

// The session ends while an upload waits for `complete`: the first `complete` clears the
// cookies and gets 401, so the refresh fails too. The upload must wait in the queue while
// the sign-in shows, and be stored after the sign-in.
async function uploadAcrossSignIn(page, context) {
  const filePath = join(downloads, 'after-sign-in.bin');
  writeFileSync(filePath, randomBytes(1024 * 1024));
  const completePattern = '**/versions/*/complete';
  let ended = false;
  await page.route(completePattern, async (route) => {
    if (ended) {
      await route.continue();
      return;
    }
    ended = true;
    await context.clearCookies();
    await route.fulfill({
      status: 401,
      contentType: 'application/problem+json',
      body: JSON.stringify({ title: 'Unauthorized', status: 401 }),
    });
  });
  await page.locator('#file-input').setInputFiles(filePath);
  await page.getByText(/Your uploads wait in this browser and resume after you sign in/).waitFor();
  await shot(page, 'sign-in-queued');
  await signIn(page, settings.contributor);
  const row = page.getByRole('row').filter({ hasText: 'after-sign-in.bin' });
  await row.getByText('stored', { exact: true }).waitFor();
  await page.unroute(completePattern);
}

const errors = [];
let currentPage = null;
const downloads = mkdtempSync(join(tmpdir(), 'custody-e2e-download-'));
const browser = settings.phase === 'main' ? await chromium.launch(LAUNCH_OPTIONS) : null;
try {
  if (settings.phase !== 'main') {
    await outagePhase(settings.phase);
  } else {
    // ---- A contributor signs in, uploads and downloads.
    const contributor = await browser.newContext({ acceptDownloads: true, viewport: VIEWPORT });
    contributor.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await contributor.newPage();
    currentPage = page;
    watchConsole(page, 'contributor', errors, new Set([401, 404]));

    await page.goto(`${settings.base_url}/entities/${settings.entity_id}`);
    await shot(page, 'sign-in');
    await signIn(page, settings.contributor);
    await page.getByRole('heading', { name: settings.entity_name }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/entities/${settings.entity_id}`,
      'the sign-in did not return to the page it started from');
    step('signed in as the contributor and returned to the entity page');

    await page.getByLabel('Title', { exact: true }).fill('Access review export');
    await page.getByLabel('Description', { exact: true }).fill('Quarterly user access review for the SOX audit');
    await page.locator('#file-input').setInputFiles(settings.file_path);
    await shot(page, 'entity');
    await page.getByRole('button', { name: 'Create and upload' }).click();
    await uploadedAndDownloaded(page, settings.file_path, 'evidence');
    step('uploaded the file in one PUT, downloaded it, and the bytes match');

    // A file over 16 MiB goes as a multipart upload with presigned part URLs, and two workers
    // compute its checksums, one the SHA-256 and one the MD5s. The console check catches a
    // worker that the CSP blocked.
    const workers = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    // Uploads are slowed down until the screenshot shows the progress bar mid-upload.
    const network = await contributor.newCDPSession(page);
    await network.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 * 1024 * 1024,
    });
    await page.locator('#file-input').setInputFiles(settings.large_file_path);
    await page.locator('li.upload[data-state="uploading"]').waitFor();
    await shot(page, 'upload-progress');
    await network.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
    });
    await uploadedAndDownloaded(page, settings.large_file_path, 'evidence-multipart');
    const checksumWorkers = workers.filter((url) => url.includes('/assets/checksum-worker'));
    assert.equal(checksumWorkers.length, 2,
      `expected two checksum workers; workers: ${JSON.stringify(workers)}`);
    step('uploaded the large file in parts, downloaded it, and the bytes match');

    assert.deepEqual(await tabOrder(page, 4), [
      'Back to the entity',
      `Download ${basename(settings.large_file_path)}`,
      `Download ${basename(settings.file_path)}`,
      'file-input',
    ], 'the evidence page has an unexpected keyboard focus order');
    step('the keyboard reaches the links, downloads and upload in reading order');

    await uploadAcrossSignIn(page, contributor);
    step('an upload whose session ended waited in the queue and was stored after sign-in');

    // The server searches titles and descriptions, case-insensitively.
    await page.getByRole('link', { name: 'Back to the entity' }).click();
    await page.getByRole('link', { name: 'Access review export' }).waitFor();
    const search = page.getByLabel('Search titles and descriptions');
    await search.fill('sox AUDIT');
    await page.getByText('1 item shown for “sox AUDIT”.').waitFor();
    await page.getByRole('link', { name: 'Access review export' }).waitFor();
    await shot(page, 'search');
    // The search pages like the plain list: 25 items, then "Load more".
    await search.fill('paging check');
    await page.getByText('25 items shown for “paging check”; more can be loaded.').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('26 items shown for “paging check”.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Paging check 00',
      'the focus did not move to the first item that "Load more" added');
    assert.equal(await page.getByRole('link', { name: /^Paging check/ }).count(), 26,
      'the search pages did not list every matching item once');
    await search.fill('no such title');
    await page.getByText('No evidence matches the search.').waitFor();
    await search.fill('');
    await page.getByRole('link', { name: 'Access review export' }).waitFor();
    step('the server search finds items by description, in any case, and pages');

    // A file that custodyd would reject creates nothing: the form shows the reason before any
    // request.
    const emptyFile = join(downloads, 'empty.txt');
    writeFileSync(emptyFile, '');
    await page.getByLabel('Title', { exact: true }).fill('Never created');
    await page.getByRole('button', { name: 'Create and upload' }).click();
    await page.getByRole('alert').filter({ hasText: 'Choose at least one file' }).waitFor();
    await page.locator('#file-input').setInputFiles(emptyFile);
    await page.getByRole('button', { name: 'Create and upload' }).click();
    await page.getByRole('alert').filter({ hasText: 'empty.txt is empty' }).waitFor();
    await search.fill('Never created');
    await page.getByText('No evidence matches the search.').waitFor();
    await search.fill('');
    step('an empty file or none at all creates no evidence item, and the form says why');

    // A file name of 240 characters wraps: the page never gets wider than the screen.
    const longName = join(downloads, `${'quarterly-access-review-'.repeat(10)}.txt`);
    writeFileSync(longName, 'long name');
    await page.getByLabel('Title', { exact: true }).fill(`Long ${'name '.repeat(30)}`);
    await page.locator('#file-input').setInputFiles(longName);
    await page.getByRole('button', { name: 'Create and upload' }).click();
    await page.getByRole('cell', { name: basename(longName), exact: true }).waitFor();
    await page.getByRole('link', { name: 'Back to the entity' }).click();
    await page.getByRole('link', { name: /^Long name/ }).waitFor();
    const [pageWidth, screenWidth] = await page.evaluate(
      () => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(pageWidth <= screenWidth,
      `the entity page is ${pageWidth} px wide on a ${screenWidth} px screen`);
    await shot(page, 'long-name');
    step('a long file name and title wrap within the screen');

    // The session ends mid-work: the next page shows the sign-in and then returns to that page.
    await contributor.clearCookies();
    await page.getByRole('link', { name: 'Access review export' }).click();
    await signIn(page, settings.contributor);
    await page.getByRole('heading', { name: 'Access review export' }).waitFor();
    step('after the session ended, sign-in returned to the evidence page');

    await page.goto(`${settings.base_url}/evidence/${settings.hidden_evidence_id}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await shot(page, 'not-found');
    step('an out-of-scope evidence URL shows not found');

    await page.getByRole('link', { name: 'All entities' }).click();
    await page.getByRole('heading', { name: 'Entities' }).waitFor();
    await page.getByRole('link', { name: settings.entity_name }).waitFor();
    await shot(page, 'home');
    step('the home page lists the entities in scope');

    // ---- A manager approves the contributor's upload; the viewer below sees the review.
    const manager = await browser.newContext({ viewport: VIEWPORT });
    manager.setDefaultTimeout(STEP_TIMEOUT_MS);
    const managerPage = await manager.newPage();
    currentPage = managerPage;
    watchConsole(managerPage, 'manager', errors, new Set([401]));
    await managerPage.goto(`${settings.base_url}/entities/${settings.entity_id}`);
    await signIn(managerPage, settings.manager);
    await managerPage.getByRole('link', { name: 'Access review export' }).click();
    const firstVersion = managerPage.getByRole('row').filter({
      has: managerPage.getByRole('cell', { name: basename(settings.file_path), exact: true }),
    });
    await firstVersion.getByText('not reviewed').waitFor();
    await managerPage.getByRole('button', { name: 'Approve version 1' }).click();
    await firstVersion.getByText('approved by Carol Example').waitFor();
    assert.equal(await managerPage.getByRole('button', { name: 'Approve version 1' }).count(), 0,
      'an approved version still offers Approve');
    await shot(managerPage, 'review');
    await manager.close();
    step('a manager approved the contributor\'s upload from the item page');

    // ---- A viewer sees no upload action, and a forced request is rejected.
    const viewer = await browser.newContext({ viewport: VIEWPORT });
    viewer.setDefaultTimeout(STEP_TIMEOUT_MS);
    const viewerPage = await viewer.newPage();
    currentPage = viewerPage;
    watchConsole(viewerPage, 'viewer', errors, new Set([401, 403]));
    await viewerPage.goto(`${settings.base_url}/entities/${settings.entity_id}`);
    await signIn(viewerPage, settings.viewer);
    await viewerPage.getByRole('heading', { name: settings.entity_name }).waitFor();
    await viewerPage.getByRole('link', { name: 'Access review export' }).waitFor();
    assert.equal(await viewerPage.getByRole('button', { name: 'Create and upload' }).count(), 0,
      'the viewer is offered the upload action');
    assert.equal(await viewerPage.locator('#file-input').count(), 0, 'the viewer has a file input');
    await shot(viewerPage, 'viewer-entity');
    await viewerPage.getByRole('link', { name: 'Access review export' }).click();
    await viewerPage.getByText('approved by Carol Example').waitFor();
    assert.equal(await viewerPage.getByRole('button', { name: /^(Approve|Reject) version/ }).count(),
      0, 'the viewer is offered a review action');
    await viewerPage.goBack();
    await viewerPage.getByRole('link', { name: 'Access review export' }).waitFor();
    const forced = await viewerPage.evaluate(async (entityId) => {
      const csrf = document.cookie.split('; ').find((cookie) => cookie.startsWith('custody-csrf='));
      const response = await fetch(`/api/v1/entities/${entityId}/evidence`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf ? csrf.slice(13) : '' },
        body: JSON.stringify({ title: 'forced by a viewer' }),
      });
      return response.status;
    }, settings.entity_id);
    assert.equal(forced, 403, 'a viewer\'s forced create request was not rejected with 403');
    step('the viewer has no upload action and a forced request gets 403');

    assert.deepEqual(errors, [], 'the pages logged console errors');
    step('no console errors');
  }
} catch (error) {
  // The page's text and a screenshot tell more than a timeout does.
  if (currentPage !== null) {
    console.log(`web_flow: failed on ${currentPage.url()}, which shows:`);
    console.log(await currentPage.locator('body').innerText().catch(() => '(unreadable)'));
    await shot(currentPage, 'failure').catch(() => {});
  }
  console.log(`web_flow: console errors so far: ${JSON.stringify(errors)}`);
  throw error;
} finally {
  rmSync(downloads, { recursive: true, force: true });
  if (browser !== null) {
    await browser.close();
  }
}
