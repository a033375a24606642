// Requests to the customer's bucket through presigned URLs. Their bytes never pass through
// custodyd.
import { ApiError, type PresignedRequest } from "./api";

// PUTs `body` to the presigned URL with exactly the signed headers. Rejects with an ApiError
// of status 0 when S3 cannot be reached, and with S3's status otherwise.
export function putToS3(
  target: PresignedRequest,
  body: Blob,
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
        onProgress(body.size);
        resolve();
      } else {
        const message = `the bucket rejected the upload (HTTP ${request.status})`;
        reject(new ApiError(request.status, message));
      }
    };
    request.onerror = () =>
      reject(new ApiError(0, "the bucket cannot be reached (network error or CORS)"));
    request.send(body);
  });
}

const PROBE_TIMEOUT_MS = 15_000;

// Sends a presigned GET to check that the bucket responds, and returns the HTTP status. The
// body is cancelled as soon as the status is known, so the browser stops reading the object.
// Rejects with an ApiError of status 0 when the bucket cannot be reached or does not respond
// within 15 seconds. A CORS failure looks the same as a network error to a script.
export async function probeDownload(url: string): Promise<number> {
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "GET",
      credentials: "omit",
      cache: "no-store",
      signal: controller.signal,
    });
    await response.body?.cancel().catch(() => {});
    return response.status;
  } catch {
    throw new ApiError(0, "the bucket cannot be reached (network error or CORS)");
  } finally {
    window.clearTimeout(timer);
  }
}
