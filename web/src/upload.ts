// Uploads one file as a new version: checksums in the browser, presigned PUTs straight to the
// customer's bucket, then `complete`. Files up to 16 MiB go in one PUT and larger ones as a
// multipart upload. The file's bytes never go to custodyd.
import { api, ApiError, type MultipartUpload, type UploadTarget, type Version } from "./api";
import {
  joinChecksums,
  partialChecksums,
  planParts,
  SINGLE_PUT_MAX_BYTES,
  singlePutChecksums,
  type DigestSet,
  type MultipartChecksums,
  type PartialChecksums,
  type PartPlan,
} from "./checksums";
import { uploadMultipart } from "./multipart";
import { putToS3 } from "./s3";

export type UploadPhase = "hashing" | "uploading" | "completing" | "stored" | "queued" | "failed";

export interface UploadProgress {
  phase: UploadPhase;
  loaded: number; // bytes hashed (phase "hashing") or sent to S3 so far
  total: number;
  message?: string;
}

function isMultipart(upload: UploadTarget["upload"]): upload is MultipartUpload {
  return upload.method === "MULTIPART";
}

// The checksum fields of a new version's request body, kept with a queued upload so that a
// retry does not read the whole file again.
export interface VersionChecksums {
  sha256: string;
  md5: string;
  part_size?: number;
  part_md5s?: string[];
}

export interface UploadRequest {
  evidenceId: string;
  file: Blob;
  fileName: string;
  // A pending version to resume; null creates a new version.
  versionId: string | null;
  // Checksums computed by an earlier attempt, or null.
  checksums: VersionChecksums | null;
  onProgress: (progress: UploadProgress) => void;
  // Receives the new version's id before any byte goes to S3, so a queued retry can resume it.
  onVersion: (versionId: string) => void;
  onChecksums: (checksums: VersionChecksums) => void;
}

// Computes the checksums that a new version of `file` declares: the whole file's, and for a
// file over 16 MiB the part size and each part's MD5.
async function computeChecksums(
  file: Blob,
  onProgress: (progress: UploadProgress) => void,
): Promise<VersionChecksums> {
  const total = file.size;
  onProgress({ phase: "hashing", loaded: 0, total });
  if (total <= SINGLE_PUT_MAX_BYTES) {
    return singlePutChecksums(file);
  }
  const plan = planParts(total);
  const sums = await checksumsOffThread(file, plan, (hashed) =>
    onProgress({ phase: "hashing", loaded: hashed, total }),
  );
  return { sha256: sums.sha256, md5: sums.md5, part_size: plan.partSize, part_md5s: sums.partMd5s };
}

type WorkerMessage =
  | { type: "progress"; hashed: number }
  | { type: "done"; checksums: PartialChecksums }
  | { type: "error"; message: string };

// Runs one checksum pass in a dedicated worker (checksum-worker.ts), or on the page's thread
// when the worker cannot start.
function passInWorker(
  file: Blob,
  plan: PartPlan,
  digests: DigestSet,
  onProgress: (hashed: number) => void,
): Promise<PartialChecksums> {
  if (typeof Worker === "undefined") {
    return partialChecksums(file, plan, digests, onProgress);
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./checksum-worker.ts", import.meta.url), {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === "progress") {
        onProgress(message.hashed);
        return;
      }
      worker.terminate();
      if (message.type === "done") {
        resolve(message.checksums);
      } else {
        reject(new Error(`computing the checksums failed: ${message.message}`));
      }
    };
    // The worker script failed to load or start.
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      partialChecksums(file, plan, digests, onProgress).then(resolve, reject);
    };
    worker.postMessage({ file, plan, digests });
  });
}

// Computes the multipart checksums off the page's thread, so that the page stays responsive:
// one worker computes the SHA-256 and another the MD5s, so both run at once on a machine with
// two cores or more. The progress shown is that of the slower pass.
async function checksumsOffThread(
  file: Blob,
  plan: PartPlan,
  onProgress: (hashed: number) => void,
): Promise<MultipartChecksums> {
  const hashed = [0, 0];
  const report = (pass: number) => (bytes: number) => {
    hashed[pass] = bytes;
    onProgress(Math.min(hashed[0], hashed[1]));
  };
  const [first, second] = await Promise.all([
    passInWorker(file, plan, "sha256", report(0)),
    passInWorker(file, plan, "md5s", report(1)),
  ]);
  return joinChecksums(first, second);
}

// Returns the upload instructions for the request's version: a new version is created first,
// and a pending one gets fresh instructions, whose method is PUT or MULTIPART.
async function uploadTarget(request: UploadRequest): Promise<UploadTarget> {
  const { evidenceId, file, versionId } = request;
  if (versionId !== null) {
    return api<UploadTarget>(
      "POST",
      `/api/v1/evidence/${evidenceId}/versions/${versionId}/upload-url`,
    );
  }
  let checksums = request.checksums;
  if (checksums === null) {
    checksums = await computeChecksums(file, request.onProgress);
    request.onChecksums(checksums);
  }
  let target: UploadTarget;
  try {
    target = await api<UploadTarget>("POST", `/api/v1/evidence/${evidenceId}/versions`, {
      file_name: request.fileName,
      size: file.size,
      media_type: file.type || "application/octet-stream",
      ...checksums,
    });
  } catch (error) {
    // Each part MD5 adds about 35 bytes to the request, which custodyd's body limit caps.
    if (error instanceof ApiError && error.status === 413 && checksums.part_md5s) {
      throw new ApiError(
        413,
        `the file needs ${checksums.part_md5s.length} parts, more than custodyd's request ` +
          "size limit (server.max_body_bytes) allows; ask an administrator to raise it",
      );
    }
    throw error;
  }
  request.onVersion(target.version.id);
  return target;
}

// Runs the whole upload of a file as a version: creates the version or resumes the pending
// one, sends the bytes to S3 (for a resumed multipart upload only the parts S3 does not hold
// yet), and completes it.
export async function uploadVersion(request: UploadRequest): Promise<Version> {
  const { evidenceId, file, onProgress } = request;
  const total = file.size;
  const target = await uploadTarget(request);
  const upload = target.upload;
  // The first "uploading" event carries the bytes that S3 already stores: none for a single
  // PUT, and for multipart the parts that uploadMultipart finds.
  const onLoaded = (loaded: number) => onProgress({ phase: "uploading", loaded, total });
  if (isMultipart(upload)) {
    await uploadMultipart({
      evidenceId,
      versionId: target.version.id,
      file,
      plan: { partSize: upload.part_size, partCount: upload.part_count },
      askUploadedParts: request.versionId !== null,
      onLoaded,
    });
  } else {
    onLoaded(0);
    await putToS3(upload, file, onLoaded);
  }
  onProgress({ phase: "completing", loaded: total, total });
  const version = await api<Version>(
    "POST",
    `/api/v1/evidence/${evidenceId}/versions/${target.version.id}/complete`,
  );
  onProgress({ phase: "stored", loaded: total, total });
  return version;
}
