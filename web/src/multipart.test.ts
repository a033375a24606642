import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("./api", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./api")>()),
  api: vi.fn(),
}));
vi.mock("./s3", () => ({ putToS3: vi.fn() }));

import { api, ApiError, type PartUrl, type PresignedRequest } from "./api";
import { uploadMultipart, type MultipartJob } from "./multipart";
import { putToS3 } from "./s3";

const PART_SIZE = 10;

interface FakeBucket {
  partUrlRequests: number[][];
  puts: { partNumber: number; url: string; size: number }[];
  maxConcurrent: number;
}

// A fake custodyd and bucket: part URLs expire after `urlLifetimeMs`, S3 stores `uploaded`
// already, and `failPut` decides per PUT whether it fails and how.
function fakeBucket(options: {
  uploaded?: number[];
  urlLifetimeMs?: number;
  failPut?: (partNumber: number, attempt: number) => ApiError | null;
  fileSize: number;
}): FakeBucket {
  const bucket: FakeBucket = { partUrlRequests: [], puts: [], maxConcurrent: 0 };
  const lifetime = options.urlLifetimeMs ?? 15 * 60_000;
  let batch = 0;
  vi.mocked(api).mockImplementation(async (method: string, path: string, body?: unknown) => {
    if (method === "POST" && path.endsWith("/part-urls")) {
      const numbers = (body as { part_numbers: number[] }).part_numbers;
      bucket.partUrlRequests.push(numbers);
      batch++;
      const parts: PartUrl[] = numbers.map((partNumber) => ({
        part_number: partNumber,
        method: "PUT",
        url: `https://bucket.test/key?partNumber=${partNumber}&batch=${batch}`,
        headers: { "Content-MD5": "unused" },
        expires_at: new Date(Date.now() + lifetime).toISOString(),
      }));
      return { parts };
    }
    if (method === "GET" && path.endsWith("/parts")) {
      const uploaded = (options.uploaded ?? []).map((partNumber) => ({
        part_number: partNumber,
        size: Math.min(PART_SIZE, options.fileSize - (partNumber - 1) * PART_SIZE),
      }));
      return {
        part_size: PART_SIZE,
        part_count: Math.ceil(options.fileSize / PART_SIZE),
        uploaded,
      };
    }
    throw new Error(`unexpected request ${method} ${path}`);
  });

  let active = 0;
  const attempts = new Map<number, number>();
  vi.mocked(putToS3).mockImplementation(
    async (target: PresignedRequest, part: Blob, onProgress: (loaded: number) => void) => {
      const partNumber = Number(new URL(target.url).searchParams.get("partNumber"));
      const attempt = (attempts.get(partNumber) ?? 0) + 1;
      attempts.set(partNumber, attempt);
      // A failure comes at once, as a refused connection or an S3 error before the body does.
      const failure = options.failPut?.(partNumber, attempt) ?? null;
      if (failure !== null) {
        throw failure;
      }
      active++;
      bucket.maxConcurrent = Math.max(bucket.maxConcurrent, active);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        bucket.puts.push({ partNumber, url: target.url, size: part.size });
        onProgress(part.size);
      } finally {
        active--;
      }
    },
  );
  return bucket;
}

function job(fileSize: number, askUploadedParts: boolean, loaded: number[] = []): MultipartJob {
  return {
    evidenceId: "evd_1",
    versionId: "ver_1",
    file: new Blob([new Uint8Array(fileSize)]),
    plan: { partSize: PART_SIZE, partCount: Math.ceil(fileSize / PART_SIZE) },
    askUploadedParts,
    onLoaded: (bytes) => loaded.push(bytes),
  };
}

beforeEach(() => {
  vi.mocked(api).mockReset();
  vi.mocked(putToS3).mockReset();
});

describe("uploadMultipart", () => {
  it("sends every part with three at a time", async () => {
    const bucket = fakeBucket({ fileSize: 95 });
    const loaded: number[] = [];
    await uploadMultipart(job(95, false, loaded));

    const sent = bucket.puts.map((put) => put.partNumber).sort((a, b) => a - b);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(bucket.puts.find((put) => put.partNumber === 10)?.size).toBe(5);
    expect(bucket.maxConcurrent).toBe(3);
    expect(loaded.at(-1)).toBe(95);
    expect(vi.mocked(api).mock.calls.some(([, path]) => path.endsWith("/parts"))).toBe(false);
  });

  it("asks for part URLs in small batches", async () => {
    const bucket = fakeBucket({ fileSize: 95 });
    await uploadMultipart(job(95, false));

    const requested = bucket.partUrlRequests.flat().sort((a, b) => a - b);
    expect(requested).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const batch of bucket.partUrlRequests) {
      expect(batch.length).toBeLessThanOrEqual(6);
    }
    expect(bucket.partUrlRequests.length).toBe(2);
  });

  it("resumes with the missing parts only", async () => {
    const bucket = fakeBucket({ fileSize: 45, uploaded: [1, 3] });
    const loaded: number[] = [];
    await uploadMultipart(job(45, true, loaded));

    expect(bucket.puts.map((put) => put.partNumber).sort()).toEqual([2, 4, 5]);
    expect(bucket.partUrlRequests.flat().sort()).toEqual([2, 4, 5]);
    expect(loaded[0]).toBe(20);
    expect(loaded.at(-1)).toBe(45);
  });

  it("stops starting parts after a failure", async () => {
    const unreachable = new ApiError(0, "the bucket cannot be reached");
    const bucket = fakeBucket({
      fileSize: 95,
      failPut: (partNumber) => (partNumber === 2 ? unreachable : null),
    });
    await expect(uploadMultipart(job(95, false))).rejects.toBe(unreachable);

    // Parts 1 and 3 were in flight with part 2 and finish; no later part starts.
    expect(bucket.puts.map((put) => put.partNumber).sort()).toEqual([1, 3]);
  });

  it("retries a rejected part with a fresh URL", async () => {
    const bucket = fakeBucket({
      fileSize: 25,
      failPut: (partNumber, attempt) =>
        partNumber === 2 && attempt === 1 ? new ApiError(403, "expired") : null,
    });
    await uploadMultipart(job(25, false));

    const part2 = bucket.puts.filter((put) => put.partNumber === 2);
    expect(part2).toHaveLength(1);
    expect(part2[0].url).toContain("batch=2");
  });

  it("fails after a second rejection", async () => {
    const rejected = new ApiError(403, "forbidden");
    fakeBucket({ fileSize: 25, failPut: (partNumber) => (partNumber === 2 ? rejected : null) });
    await expect(uploadMultipart(job(25, false))).rejects.toBe(rejected);
  });

  it("replaces URLs that are about to expire", async () => {
    const bucket = fakeBucket({ fileSize: 25, urlLifetimeMs: 30_000 });
    await uploadMultipart(job(25, false));

    // Every URL expires within the one-minute margin, so each part gets its own request.
    expect(bucket.partUrlRequests.length).toBeGreaterThanOrEqual(3);
    expect(bucket.puts).toHaveLength(3);
  });

  it("leaves a vanished upload to complete", async () => {
    fakeBucket({ fileSize: 45 });
    const vanished = new ApiError(409, "the multipart upload no longer exists");
    vi.mocked(api).mockRejectedValueOnce(vanished);
    await uploadMultipart(job(45, true));

    expect(putToS3).not.toHaveBeenCalled();
    expect(vi.mocked(api).mock.calls).toHaveLength(1);
  });

  it("rejects a file of another size", async () => {
    fakeBucket({ fileSize: 45 });
    const wrong = { ...job(45, true), file: new Blob([new Uint8Array(60)]) };
    const mismatch = "does not match the parts of the pending version";
    await expect(uploadMultipart(wrong)).rejects.toThrow(mismatch);
    expect(putToS3).not.toHaveBeenCalled();
  });
});
