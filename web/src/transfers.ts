// Uploads and downloads started from the pages, and the queue that retries them when the
// bucket or AWS could not be reached, or when the session ended during an upload.
import { api, ApiError, SignInRequiredError, type Version } from "./api";
import { countOf, h } from "./dom";
import { fileProblem } from "./files";
import {
  enqueue,
  enqueueDownload,
  queuedDownloads,
  queuedUploads,
  removeQueued,
  removeQueuedDownload,
  updateQueued,
  type QueuedDownload,
  type QueuedUpload,
} from "./queue";
import { probeDownload } from "./s3";
import { uploadVersion, type UploadProgress, type VersionChecksums } from "./upload";

const PHASE_TEXT: Record<UploadProgress["phase"], string> = {
  hashing: "computing checksums",
  uploading: "uploading to the bucket",
  completing: "verifying",
  stored: "stored",
  queued: "queued: waits until the bucket can be reached",
  failed: "failed",
};
const SIGN_IN_QUEUED_TEXT = "queued: resumes after you sign in again";
export const QUEUE_RETRY_MS = 5000;

// The page shell's functions that the transfers call.
export interface TransferHooks {
  // Shows a message, and `extra` after it, in the banner at the top of every page.
  showBanner: (message: string, kind: "error" | "info", extra?: Node) => void;
  // Re-renders the current page after queued uploads were stored or downloads started.
  refresh: () => void;
  // Shows the sign-in form, keeping the queue.
  requireSignIn: (error: SignInRequiredError) => void;
  // The signed-in user's id, or null before sign-in.
  userId: () => string | null;
}

const QUEUE_LOCK = "custody-transfer-queue";
// Tells the other tabs of the profile that queued transfers finished, so they redraw too.
const queueChannel = "BroadcastChannel" in window ? new BroadcastChannel(QUEUE_LOCK) : null;

let hooks: TransferHooks | null = null;

export function configureTransfers(shell: TransferHooks): void {
  hooks = shell;
  if (queueChannel !== null) {
    queueChannel.onmessage = () => shell.refresh();
  }
}

function shell(): TransferHooks {
  if (hooks === null) {
    throw new Error("configureTransfers was not called");
  }
  return hooks;
}

// Returns the signed-in user's id; the pages that start transfers exist only after sign-in.
function signedInUser(): string {
  const userId = shell().userId();
  if (userId === null) {
    throw new SignInRequiredError();
  }
  return userId;
}

function queueEntry(
  evidenceId: string,
  file: File,
  versionId: string | null,
  checksums: VersionChecksums | null,
): QueuedUpload {
  return {
    userId: signedInUser(),
    evidenceId,
    versionId,
    file,
    fileName: file.name,
    mediaType: file.type,
    queuedAt: new Date().toISOString(),
    checksums,
  };
}

function progressRow(file: File, list: HTMLElement) {
  const bar = h("progress", { max: String(file.size), value: "0" });
  const state = h("span", { class: "upload-state" }, "waiting");
  const row = h("li", { class: "upload" }, h("span", {}, file.name), bar, state);
  bar.setAttribute("aria-label", `Upload of ${file.name}`);
  list.append(row);
  // Only changes are written, because the list is a live region that screen readers announce.
  const setState = (phase: string, text: string) => {
    row.dataset.state = phase;
    if (state.textContent !== text) {
      state.textContent = text;
    }
  };
  return { bar, setState };
}

// Uploads the files one after another, each with its own progress bar in `list`. A file that
// fails because the bucket or AWS cannot be reached goes to the queue. When the session ends,
// this file and the ones after it go to the queue, and SignInRequiredError is thrown after
// them. Returns true when every file is stored.
// The number of uploads whose bytes are being sent now. Leaving the page would cut them off
// and leave their versions pending, so the browser shows a confirmation while any run.
// Queued uploads resume by themselves and need no warning.
// NOTE: not covered by the browser test: headless Chromium did not show the dialog when the
// test reloaded the page mid-upload.
let uploadsInFlight = 0;
window.addEventListener("beforeunload", (event) => {
  if (uploadsInFlight > 0) {
    event.preventDefault();
  }
});

export async function uploadFiles(
  evidenceId: string,
  files: File[],
  list: HTMLElement,
): Promise<boolean> {
  let allStored = true;
  let signInError: SignInRequiredError | null = null;
  for (const file of files) {
    const { bar, setState } = progressRow(file, list);
    const problem = fileProblem(file);
    if (problem !== null) {
      allStored = false;
      setState("failed", problem);
      continue;
    }
    if (signInError !== null) {
      await enqueue(queueEntry(evidenceId, file, null, null));
      setState("queued", SIGN_IN_QUEUED_TEXT);
      continue;
    }
    let versionId: string | null = null;
    let checksums: VersionChecksums | null = null;
    uploadsInFlight++;
    try {
      await uploadVersion({
        evidenceId,
        file,
        fileName: file.name,
        versionId: null,
        checksums: null,
        onProgress: (progress) => {
          bar.max = progress.total;
          bar.value = progress.loaded;
          setState(progress.phase, PHASE_TEXT[progress.phase]);
        },
        onVersion: (created) => {
          versionId = created;
        },
        onChecksums: (computed) => {
          checksums = computed;
        },
      });
    } catch (error) {
      allStored = false;
      if (error instanceof SignInRequiredError) {
        signInError = error;
        await enqueue(queueEntry(evidenceId, file, versionId, checksums));
        setState("queued", SIGN_IN_QUEUED_TEXT);
        continue;
      }
      if (error instanceof ApiError && error.unreachable) {
        await enqueue(queueEntry(evidenceId, file, versionId, checksums));
        setState("queued", PHASE_TEXT.queued);
        await showQueueState();
        continue;
      }
      setState("failed", `failed: ${(error as Error).message}`);
    } finally {
      uploadsInFlight--;
    }
  }
  if (signInError !== null) {
    throw new SignInRequiredError(
      `${signInError.message} Your uploads wait in this browser and resume after you sign in.`,
    );
  }
  return allStored;
}

function namesSentence(count: number, noun: string, verb: string, names: string[]): string {
  const subject = countOf(count, `queued ${noun}`);
  return `${subject} will ${verb} by ${count === 1 ? "itself" : "themselves"}: ${names.join(", ")}.`;
}

// Shows the banner that lists the signed-in user's queued transfers, when there are any.
export async function showQueueState(): Promise<void> {
  const userId = shell().userId();
  if (userId === null) {
    return;
  }
  const uploads = await queuedUploads(userId);
  const downloads = await queuedDownloads(userId);
  if (uploads.length === 0 && downloads.length === 0) {
    return;
  }
  const sentences = ["The evidence bucket cannot be reached."];
  if (uploads.length > 0) {
    const names = uploads.map((upload) => upload.fileName);
    sentences.push(namesSentence(uploads.length, "upload", "resume", names));
  }
  if (downloads.length > 0) {
    const names = downloads.map((download) => download.fileName);
    sentences.push(namesSentence(downloads.length, "download", "start", names));
  }
  shell().showBanner(sentences.join(" "), "error");
}

// Requests a presigned GET, checks that the bucket responds to it, and lets the browser save the
// file. Throws an ApiError that is `unreachable` when custodyd, AWS or the bucket cannot be
// reached.
// NOTE: the check reads the response headers of one GET and the browser then sends a second
// GET for the file, so the bucket gets two requests per download.
async function startDownload(evidenceId: string, versionId: string): Promise<void> {
  const target = await api<{ url: string }>(
    "POST",
    `/api/v1/evidence/${evidenceId}/versions/${versionId}/download`,
  );
  const status = await probeDownload(target.url);
  if (status >= 500) {
    throw new ApiError(0, `the bucket is unavailable (HTTP ${status})`);
  }
  if (status < 200 || status >= 300) {
    throw new ApiError(status, `the bucket rejected the download (HTTP ${status})`);
  }
  // S3 sends Content-Disposition: attachment, so the browser saves the file and the page stays.
  const anchor = h("a", { href: target.url, rel: "noreferrer", hidden: true });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

// Downloads a stored version, or queues the download while the bucket cannot be reached.
export async function downloadVersion(version: Version): Promise<"started" | "queued"> {
  try {
    await startDownload(version.evidence_id, version.id);
    return "started";
  } catch (error) {
    if (!(error instanceof ApiError && error.unreachable)) {
      throw error;
    }
    await enqueueDownload({
      userId: signedInUser(),
      evidenceId: version.evidence_id,
      versionId: version.id,
      fileName: version.file_name,
      queuedAt: new Date().toISOString(),
    });
    await showQueueState();
    return "queued";
  }
}

let queueRunning = false;

// Returns true for the errors after which a queued transfer stays queued.
function mustWait(error: unknown): boolean {
  return (error instanceof ApiError && error.unreachable) || error instanceof SignInRequiredError;
}

// Retries every queued download once and returns the number started. Throws when the bucket
// still cannot be reached.
async function runDownloadQueue(queued: QueuedDownload[]): Promise<number> {
  let started = 0;
  for (const download of queued) {
    try {
      await startDownload(download.evidenceId, download.versionId);
      await removeQueuedDownload(download.id as number);
      started++;
      shell().showBanner(`The queued download of ${download.fileName} started.`, "info");
    } catch (error) {
      if (mustWait(error)) {
        throw error;
      }
      await removeQueuedDownload(download.id as number);
      shell().showBanner(
        `The queued download of ${download.fileName} failed: ${(error as Error).message}`,
        "error",
      );
    }
  }
  return started;
}

// Returns a progress callback for a queued upload that shows a progress bar in the banner
// once more bytes than the first "uploading" event reported reach the bucket. While the
// bucket stays unreachable nothing is shown, so the retries every 5 seconds do not replace
// the banner that lists the queue.
function resumeProgress(fileName: string): (progress: UploadProgress) => void {
  let bar: HTMLProgressElement | null = null;
  let baseline: number | null = null;
  return (progress) => {
    if (progress.phase !== "uploading") {
      return;
    }
    if (baseline === null) {
      baseline = progress.loaded;
      return;
    }
    if (bar === null && progress.loaded > baseline) {
      bar = h("progress", { max: String(progress.total), "aria-label": `Upload of ${fileName}` });
      shell().showBanner(`Resuming the queued upload of ${fileName}. `, "info", bar);
    }
    if (bar !== null) {
      bar.value = progress.loaded;
    }
  };
}

// Retries every queued upload once and returns the number stored. Throws when the bucket still
// cannot be reached.
async function runUploadQueue(queued: QueuedUpload[]): Promise<number> {
  let stored = 0;
  for (const upload of queued) {
    try {
      await uploadVersion({
        evidenceId: upload.evidenceId,
        file: upload.file,
        fileName: upload.fileName,
        versionId: upload.versionId,
        checksums: upload.checksums ?? null,
        onProgress: resumeProgress(upload.fileName),
        onVersion: (created) => {
          upload.versionId = created;
          void updateQueued(upload);
        },
        onChecksums: (computed) => {
          upload.checksums = computed;
          void updateQueued(upload);
        },
      });
      await removeQueued(upload.id as number);
      stored++;
    } catch (error) {
      if (mustWait(error)) {
        throw error;
      }
      await removeQueued(upload.id as number);
      shell().showBanner(
        `The queued upload of ${upload.fileName} failed: ${(error as Error).message}`,
        "error",
      );
    }
  }
  return stored;
}

// Retries the signed-in user's queued downloads, then uploads. A transfer that still cannot
// reach the bucket stays queued, and one that fails for another reason leaves the queue with
// a message. When the session has ended, the sign-in is shown and the queue waits for it.
export async function runQueue(): Promise<void> {
  const userId = shell().userId();
  if (queueRunning || userId === null) {
    return;
  }
  queueRunning = true;
  try {
    // The queue is shared by every tab of the browser profile. Only the tab that holds the
    // lock works on it, so that no file or part is sent twice. The others skip this round.
    if ("locks" in navigator) {
      await navigator.locks.request(QUEUE_LOCK, { ifAvailable: true }, async (lock) => {
        if (lock !== null) {
          await runQueueOnce(userId);
        }
      });
    } else {
      await runQueueOnce(userId);
    }
  } finally {
    queueRunning = false;
  }
}

async function runQueueOnce(userId: string): Promise<void> {
  try {
    const downloads = await queuedDownloads(userId);
    const uploads = await queuedUploads(userId);
    if (downloads.length === 0 && uploads.length === 0) {
      return;
    }
    const started = await runDownloadQueue(downloads);
    const stored = await runUploadQueue(uploads);
    if (stored > 0) {
      shell().showBanner(`${countOf(stored, "queued upload")} stored.`, "info");
    }
    if (started > 0 || stored > 0) {
      shell().refresh();
      queueChannel?.postMessage({ started, stored });
    }
  } catch (error) {
    if (error instanceof SignInRequiredError) {
      shell().requireSignIn(error);
    } else if (error instanceof ApiError && error.unreachable) {
      await showQueueState();
    } else {
      throw error;
    }
  }
}
