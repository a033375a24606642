// Drives the Custody web app in Debian's headless Chromium through Playwright (playwright-core).
// test_web.py starts custodyd, the OIDC provider and the bucket, then runs this script with one
// JSON argument:
//   {"phase", "base_url", "organization_id", "entity_id", "entity_name", "hidden_evidence_id",
//    "file_path", "screenshot_dir", "contributor": "alice", "viewer": "bob",
//    "outage_evidence_id", "profile_dir"}
// Phase "main" signs in, uploads, downloads and checks roles. Phase "queue" runs while the
// bucket is cut off: it uploads into the queue and reloads. Phase "resume" reopens the same
// browser profile after the bucket is back and waits for the queued upload to be stored.
// The script exits 0 when every check passed and prints one line per step.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

// The outage phases share one profile, so that cookies and IndexedDB outlive the browser.
async function outagePhase(resume) {
  const context = await chromium.launchPersistentContext(settings.profile_dir, LAUNCH_OPTIONS);
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  currentPage = page;
  const fileName = basename(settings.file_path);
  const outageErrors = [];
  try {
    watchConsole(page, resume ? 'resume' : 'queue', outageErrors, new Set([401, 502, 503]));
    await page.goto(`${settings.base_url}/evidence/${settings.outage_evidence_id}`);
    if (resume) {
      const stored = page.getByRole('row').filter({ hasText: fileName }).getByText('stored', { exact: true });
      await stored.waitFor();
      await shot(page, 'outage-resumed');
      step('the queued upload resumed by itself and is stored');
      assert.deepEqual(outageErrors, [], 'the page logged console errors after the outage');
      return;
    }
    await signIn(page, settings.contributor);
    await page.getByRole('heading', { name: 'Outage upload' }).waitFor();
    await page.locator('#file-input').setInputFiles(settings.file_path);
    // The page re-renders after the upload, so the versions table shows the queued state.
    const queuedRow = page.locator('tr[data-state="queued"]').filter({ hasText: fileName });
    await queuedRow.waitFor();
    await page.getByText(/queued upload\(s\) will resume/).waitFor();
    await shot(page, 'outage-queued');
    step('the upload is queued while the bucket cannot be reached');

    await page.reload();
    await page.getByRole('heading', { name: 'Outage upload' }).waitFor();
    await page.getByText(/1 queued upload\(s\) will resume/).waitFor();
    await queuedRow.waitFor();
    step('the queue survives a reload');

    await page.getByRole('link', { name: 'Back to the entity' }).click();
    await page.getByRole('link', { name: 'Outage upload' }).waitFor();
    step('browsing still works during the outage');
    // Network errors of the PUT to the stopped bucket are the outage itself.
    const unexpected = outageErrors.filter((text) => !text.includes('ERR_CONNECTION_REFUSED') && !text.includes('ERR_CONNECTION_RESET'));
    assert.deepEqual(unexpected, [], 'the page logged console errors during the outage');
  } finally {
    await context.close();
  }
}

const errors = [];
let currentPage = null;
const downloads = mkdtempSync(join(tmpdir(), 'custody-e2e-download-'));
const browser = settings.phase === 'main' ? await chromium.launch(LAUNCH_OPTIONS) : null;
try {
  if (settings.phase !== 'main') {
    await outagePhase(settings.phase === 'resume');
  } else {
    // ---- A contributor signs in, uploads and downloads.
    const contributor = await browser.newContext({ acceptDownloads: true });
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

    await page.getByLabel('Title').fill('Access review export');
    await page.locator('#file-input').setInputFiles(settings.file_path);
    await shot(page, 'entity');
    await page.getByRole('button', { name: 'Create and upload' }).click();
    const fileName = basename(settings.file_path);
    const downloadButton = page.getByRole('button', { name: `Download ${fileName}` });
    await downloadButton.waitFor();
    const versionRow = page.getByRole('row').filter({ hasText: fileName });
    await assert.doesNotReject(versionRow.getByText('stored', { exact: true }).waitFor());
    await shot(page, 'evidence');
    step('uploaded the file and it is stored');

    const [download] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
    const savedPath = join(downloads, 'downloaded.bin');
    await download.saveAs(savedPath);
    assert.equal(sha256(readFileSync(savedPath)), sha256(readFileSync(settings.file_path)),
      'the downloaded bytes differ from the uploaded file');
    step('downloaded the file and its bytes match');

    await page.getByRole('link', { name: 'Back to the entity' }).click();
    await page.getByRole('link', { name: 'Access review export' }).waitFor();
    await page.getByLabel('Search loaded evidence').fill('no such title');
    await page.getByText('No loaded evidence matches.').waitFor();
    step('the item is listed and the search filters it');

    // The session ends mid-work: the next page shows the sign-in and then returns to that page.
    await contributor.clearCookies();
    await page.getByLabel('Search loaded evidence').fill('');
    await page.getByRole('link', { name: 'Access review export' }).click();
    await signIn(page, settings.contributor);
    await page.getByRole('heading', { name: 'Access review export' }).waitFor();
    step('after the session ended, sign-in returned to the evidence page');

    await page.goto(`${settings.base_url}/evidence/${settings.hidden_evidence_id}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await shot(page, 'not-found');
    step('an out-of-scope evidence URL shows not found');

    // ---- A viewer sees no upload action, and a forced request is rejected.
    const viewer = await browser.newContext();
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
