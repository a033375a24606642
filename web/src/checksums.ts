// Checksums of a file for an upload, computed in the browser. A multipart upload needs the
// whole file's SHA-256 and MD5 and the MD5 of each part. Web Crypto has no incremental digest
// and no MD5, so large files are read part by part with Blob.slice and hashed with
// @noble/hashes (SHA-256) and spark-md5 (MD5), two pure JavaScript libraries that need no
// WebAssembly or eval, so the Content Security Policy stays strict.
import { sha256 } from "@noble/hashes/sha2.js";
import SparkMD5 from "spark-md5";

const MIB = 1024 * 1024;

// Files larger than this use a multipart upload.
export const SINGLE_PUT_MAX_BYTES = 16 * MIB;
// S3 allows at most 10000 parts of at least 5 MiB each (the last part may be smaller).
export const MAX_PART_COUNT = 10000;
// The smallest part size the browser uses, above S3's 5 MiB minimum to need fewer requests.
export const MIN_PART_SIZE = 8 * MIB;

export interface PartPlan {
  partSize: number;
  partCount: number;
}

export interface FileChecksums {
  sha256: string; // lowercase hex
  md5: string; // lowercase hex
}

export interface MultipartChecksums extends FileChecksums {
  partMd5s: string[]; // lowercase hex, part 1 first
}

// Returns the part size and count for a file of `size` bytes. The part size is the larger of
// 8 MiB and the size over 10000 parts, rounded up to a whole MiB.
export function planParts(size: number): PartPlan {
  const spread = Math.ceil(Math.ceil(size / MAX_PART_COUNT) / MIB) * MIB;
  const partSize = Math.max(MIN_PART_SIZE, spread);
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

// Returns the byte range [start, end) of a 1-based part number.
export function partRange(plan: PartPlan, size: number, partNumber: number): [number, number] {
  const start = (partNumber - 1) * plan.partSize;
  return [start, Math.min(size, start + plan.partSize)];
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(view, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Computes SHA-256 with Web Crypto and MD5 with spark-md5 for a file that fits a single PUT.
// The file is read into memory at once, which SINGLE_PUT_MAX_BYTES keeps small.
export async function singlePutChecksums(file: Blob): Promise<FileChecksums> {
  const bytes = await file.arrayBuffer();
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return { sha256: toHex(digest), md5: SparkMD5.ArrayBuffer.hash(bytes) };
}

// The digests that one pass over the file computes. The SHA-256 costs about as much as the
// two MD5s together (docs/benchmarks.md), so two workers, one for each, halve the wait.
export type DigestSet = "all" | "sha256" | "md5s";

export interface PartialChecksums {
  sha256?: string;
  md5?: string;
  partMd5s?: string[];
}

// Computes the digests of `digests`, reading one part at a time, so memory use stays near one
// part size. `onProgress` receives the bytes hashed so far.
export async function partialChecksums(
  file: Blob,
  plan: PartPlan,
  digests: DigestSet,
  onProgress: (hashed: number) => void = () => {},
): Promise<PartialChecksums> {
  const wholeSha256 = digests === "md5s" ? null : sha256.create();
  const wholeMd5 = digests === "sha256" ? null : new SparkMD5.ArrayBuffer();
  const partMd5s: string[] = [];
  for (let partNumber = 1; partNumber <= plan.partCount; partNumber++) {
    const [start, end] = partRange(plan, file.size, partNumber);
    const part = await file.slice(start, end).arrayBuffer();
    wholeSha256?.update(new Uint8Array(part));
    if (wholeMd5 !== null) {
      wholeMd5.append(part);
      partMd5s.push(SparkMD5.ArrayBuffer.hash(part));
    }
    onProgress(end);
  }
  return {
    ...(wholeSha256 !== null && { sha256: toHex(wholeSha256.digest()) }),
    ...(wholeMd5 !== null && { md5: wholeMd5.end(), partMd5s }),
  };
}

// Joins the results of the "sha256" and "md5s" passes.
export function joinChecksums(first: PartialChecksums, second: PartialChecksums): MultipartChecksums {
  const sha256Hex = first.sha256 ?? second.sha256;
  const md5 = first.md5 ?? second.md5;
  const partMd5s = first.partMd5s ?? second.partMd5s;
  if (sha256Hex === undefined || md5 === undefined || partMd5s === undefined) {
    throw new Error("a checksum pass returned no result");
  }
  return { sha256: sha256Hex, md5, partMd5s };
}

// Computes the whole file's SHA-256 and MD5 and each part's MD5 in one pass on this thread.
export async function multipartChecksums(
  file: Blob,
  plan: PartPlan,
  onProgress: (hashed: number) => void = () => {},
): Promise<MultipartChecksums> {
  return joinChecksums(await partialChecksums(file, plan, "all", onProgress), {});
}
