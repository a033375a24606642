// The part uploads of a multipart version. The server has already created the S3 multipart
// upload with the declared part MD5s. This module requests presigned part URLs in small
// batches, just before it needs them because they expire, and PUTs up to three parts at once.
import {
  api,
  ApiError,
  SignInRequiredError,
  type PartUrl,
  type UploadedParts,
} from "./api";
import { partRange, type PartPlan } from "./checksums";
import { putToS3 } from "./s3";

const CONCURRENT_PARTS = 3;
// Part URLs per request; the server accepts up to 100.
const PART_URL_BATCH = 6;
// A URL that expires within this margin is replaced before its PUT starts.
const URL_EXPIRY_MARGIN_MS = 60_000;
const SIZE_MISMATCH =
  "the file's size does not match the parts of the pending version; upload it as a new version";

export interface MultipartJob {
  evidenceId: string;
  versionId: string;
  file: Blob;
  plan: PartPlan;
  // True for a resumed upload: the parts that S3 already stores are skipped.
  askUploadedParts: boolean;
  // Receives the bytes that S3 stores or has received so far, for the whole file.
  onLoaded: (loaded: number) => void;
}

// Presigned part URLs, fetched in batches for the parts that come next.
class PartUrlCache {
  private readonly urls = new Map<number, PartUrl>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly job: MultipartJob,
    private readonly order: number[],
  ) {}

  // Returns a URL for `partNumber` that has not expired, fetching a new batch when needed.
  // Fetches run one at a time, so concurrent workers do not ask for the same parts.
  async urlFor(partNumber: number): Promise<PartUrl> {
    const fetched = this.pending.then(async () => {
      if (!this.isFresh(this.urls.get(partNumber))) {
        await this.fetchBatch(partNumber);
      }
    });
    this.pending = fetched.catch(() => {});
    await fetched;
    const url = this.urls.get(partNumber);
    if (url === undefined) {
      throw new Error(`the server sent no URL for part ${partNumber}`);
    }
    return url;
  }

  forget(partNumber: number): void {
    this.urls.delete(partNumber);
  }

  private isFresh(url: PartUrl | undefined): boolean {
    return url !== undefined && Date.parse(url.expires_at) - Date.now() > URL_EXPIRY_MARGIN_MS;
  }

  private async fetchBatch(first: number): Promise<void> {
    const start = this.order.indexOf(first);
    const batch = [first];
    for (const next of this.order.slice(start + 1)) {
      if (batch.length >= PART_URL_BATCH) {
        break;
      }
      if (!this.isFresh(this.urls.get(next))) {
        batch.push(next);
      }
    }
    const { evidenceId, versionId } = this.job;
    const answer = await api<{ parts: PartUrl[] }>(
      "POST",
      `/api/v1/evidence/${evidenceId}/versions/${versionId}/part-urls`,
      { part_numbers: batch },
    );
    for (const part of answer.parts) {
      this.urls.set(part.part_number, part);
    }
  }
}

// Returns the part numbers that S3 does not store yet and the bytes of those it stores.
async function missingParts(
  job: MultipartJob,
): Promise<{ missing: number[]; storedBytes: number }> {
  const all = Array.from({ length: job.plan.partCount }, (_, index) => index + 1);
  if (!job.askUploadedParts) {
    return { missing: all, storedBytes: 0 };
  }
  const { evidenceId, versionId } = job;
  const parts = await api<UploadedParts>(
    "GET",
    `/api/v1/evidence/${evidenceId}/versions/${versionId}/parts`,
  );
  if (parts.part_size !== job.plan.partSize || parts.part_count !== job.plan.partCount) {
    throw new Error(SIZE_MISMATCH);
  }
  const uploaded = new Set(parts.uploaded.map((part) => part.part_number));
  const storedBytes = parts.uploaded.reduce((sum, part) => sum + part.size, 0);
  return { missing: all.filter((number) => !uploaded.has(number)), storedBytes };
}

// PUTs every part that S3 does not store yet, up to three at a time. After the first failure no
// new part starts, the parts in flight finish, and the first error is thrown, so that a resume
// finds as many parts in S3 as possible. Returns without a PUT when S3 no longer has the
// upload, so that the caller's `complete` decides: it stores a version whose upload S3 already
// assembled (a crash between S3 and custodyd), and fails one whose upload was aborted.
export async function uploadMultipart(job: MultipartJob): Promise<void> {
  if (job.plan.partCount !== Math.ceil(job.file.size / job.plan.partSize)) {
    throw new Error(SIZE_MISMATCH);
  }
  let parts: { missing: number[]; storedBytes: number };
  try {
    parts = await missingParts(job);
  } catch (error) {
    // For a pending multipart version, `.../parts` returns 409 only when S3 has no such upload.
    if (error instanceof ApiError && error.status === 409) {
      job.onLoaded(job.file.size);
      return;
    }
    throw error;
  }
  const { missing, storedBytes } = parts;
  const urls = new PartUrlCache(job, missing);
  const inFlight = new Map<number, number>();
  let finished = storedBytes;
  const report = () => {
    let loaded = finished;
    for (const bytes of inFlight.values()) {
      loaded += bytes;
    }
    job.onLoaded(loaded);
  };
  report();

  let next = 0;
  let failure: unknown = null;
  const sendPart = async (partNumber: number) => {
    const [start, end] = partRange(job.plan, job.file.size, partNumber);
    const body = job.file.slice(start, end);
    const onProgress = (loaded: number) => {
      inFlight.set(partNumber, loaded);
      report();
    };
    try {
      await putToS3(await urls.urlFor(partNumber), body, onProgress);
    } catch (error) {
      // S3 rejects an expired URL with 403, which a slow earlier part can cause, so the part
      // gets one retry with a fresh URL.
      if (!(error instanceof ApiError && error.status === 403)) {
        throw error;
      }
      urls.forget(partNumber);
      await putToS3(await urls.urlFor(partNumber), body, onProgress);
    } finally {
      inFlight.delete(partNumber);
    }
    finished += end - start;
    report();
  };
  const worker = async () => {
    while (failure === null && next < missing.length) {
      const partNumber = missing[next++];
      try {
        await sendPart(partNumber);
      } catch (error) {
        // A sign-in request outranks the other errors, because only it needs the user.
        if (failure === null || error instanceof SignInRequiredError) {
          failure = error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_PARTS }, worker));
  if (failure !== null) {
    throw failure;
  }
}
