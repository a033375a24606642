// Uploads one file as a new version: checksums in the browser, a presigned PUT straight to the
// customer's bucket, then `complete`. The file's bytes never go to custodyd.
import SparkMD5 from "spark-md5";

import { api, ApiError, type UploadTarget, type Version } from "./api";

export type UploadPhase = "hashing" | "uploading" | "completing" | "stored" | "queued" | "failed";

export interface UploadProgress {
  phase: UploadPhase;
  loaded: number; // bytes sent to S3 so far
  total: number;
  message?: string;
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Computes SHA-256 with Web Crypto and MD5 with spark-md5, because Web Crypto has no MD5 and S3
// checks Content-MD5.
// NOTE: the whole file is read into memory once, which limits uploads to what the tab can hold.
export async function checksums(file: Blob): Promise<{ sha256: string; md5: string }> {
  const bytes = await file.arrayBuffer();
  const sha256 = toHex(await crypto.subtle.digest("SHA-256", bytes));
  const md5 = SparkMD5.ArrayBuffer.hash(bytes);
  return { sha256, md5 };
}

// PUTs the file to the presigned URL with exactly the signed headers. Rejects with an
// ApiError of status 0 when S3 cannot be reached, and with S3's status otherwise.
export function putToS3(
  target: UploadTarget["upload"],
  file: Blob,
  onProgress: (loaded: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) {
      // The browser sets Host and Content-Length itself and rejects scripts that try.
      const lower = name.toLowerCase();
      if (lower !== "host" && lower !== "content-length") {
        request.setRequestHeader(name, value);
      }
    }
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(file.size);
        resolve();
      } else {
        reject(new ApiError(request.status, `the bucket rejected the upload (HTTP ${request.status})`));
      }
    };
    request.onerror = () =>
      reject(new ApiError(0, "the bucket cannot be reached (network error or CORS)"));
    request.send(file);
  });
}

// Runs the whole upload of `file` as a version of `evidenceId`. With `versionId` it uploads
// to that pending version with a fresh URL; otherwise it creates a new version and reports its
// id through `onVersion` before the PUT, so a queued retry can reuse it.
export async function uploadVersion(
  evidenceId: string,
  file: Blob,
  fileName: string,
  onProgress: (progress: UploadProgress) => void,
  versionId: string | null = null,
  onVersion: (versionId: string) => void = () => {},
): Promise<Version> {
  const total = file.size;
  let target: UploadTarget;
  if (versionId === null) {
    onProgress({ phase: "hashing", loaded: 0, total });
    const sums = await checksums(file);
    target = await api<UploadTarget>("POST", `/api/v1/evidence/${evidenceId}/versions`, {
      file_name: fileName,
      size: file.size,
      sha256: sums.sha256,
      md5: sums.md5,
      media_type: file.type || "application/octet-stream",
    });
    onVersion(target.version.id);
  } else {
    target = await api<UploadTarget>(
      "POST",
      `/api/v1/evidence/${evidenceId}/versions/${versionId}/upload-url`,
    );
  }
  onProgress({ phase: "uploading", loaded: 0, total });
  await putToS3(target.upload, file, (loaded) => onProgress({ phase: "uploading", loaded, total }));
  onProgress({ phase: "completing", loaded: total, total });
  const version = await api<Version>(
    "POST",
    `/api/v1/evidence/${evidenceId}/versions/${target.version.id}/complete`,
  );
  onProgress({ phase: "stored", loaded: total, total });
  return version;
}
