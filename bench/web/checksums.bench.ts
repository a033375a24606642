// Throughput of the browser's upload checksums, run by Vitest in Node.js, whose V8 is the
// JavaScript engine of Chromium. Run: npm run bench --prefix web (results: docs/benchmarks.md).
import { sha256 } from "@noble/hashes/sha2.js";
import SparkMD5 from "spark-md5";
import { bench, describe } from "vitest";

import {
  multipartChecksums,
  planParts,
  singlePutChecksums,
} from "../../web/src/checksums";

const MIB = 1024 * 1024;

function randomBlob(size: number): Blob {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  }
  return new Blob([bytes]);
}

const small = randomBlob(16 * MIB);
const large = randomBlob(64 * MIB);

describe("checksums", () => {
  bench("single PUT, 16 MiB: SHA-256 (Web Crypto) + MD5", async () => {
    await singlePutChecksums(small);
  }, { iterations: 5, time: 0 });

  bench("multipart, 64 MiB in 8 MiB parts: SHA-256 + MD5 + part MD5s", async () => {
    await multipartChecksums(large, planParts(large.size));
  }, { iterations: 3, time: 0 });

  // The two digests of the multipart path on their own, over 64 MiB held in memory.
  const bytes = new Uint8Array(64 * MIB);
  bench("SHA-256 (@noble/hashes), 64 MiB", () => {
    sha256(bytes);
  }, { iterations: 3, time: 0 });
  bench("MD5 (spark-md5), 64 MiB", () => {
    SparkMD5.ArrayBuffer.hash(bytes.buffer);
  }, { iterations: 3, time: 0 });
});
