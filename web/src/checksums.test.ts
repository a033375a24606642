import SparkMD5 from "spark-md5";
import { describe, expect, it } from "vitest";

import {
  MAX_PART_COUNT,
  MIN_PART_SIZE,
  joinChecksums,
  multipartChecksums,
  partialChecksums,
  partRange,
  planParts,
  toHex,
} from "./checksums";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

// Deterministic bytes that differ at every offset, so a shifted part boundary changes a digest.
function patternBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let state = 0x12345678;
  for (let index = 0; index < size; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

describe("planParts", () => {
  it.each([
    // size, part size, part count
    [16 * MIB + 1, 8 * MIB, 3],
    [20 * MIB, 8 * MIB, 3],
    [24 * MIB, 8 * MIB, 3],
    [80 * GIB, 9 * MIB, 9103],
    [5 * TIB, 525 * MIB, 9987],
  ])("plans %i bytes", (size, partSize, partCount) => {
    expect(planParts(size)).toEqual({ partSize, partCount });
  });

  it("stays within the S3 limits", () => {
    for (const size of [16 * MIB + 1, 78 * GIB + 1, 80 * GIB, 1000 * GIB - 7, 5 * TIB]) {
      const plan = planParts(size);
      expect(plan.partCount).toBeLessThanOrEqual(MAX_PART_COUNT);
      expect(plan.partSize).toBeGreaterThanOrEqual(MIN_PART_SIZE);
      expect(plan.partSize % MIB).toBe(0);
      expect((plan.partCount - 1) * plan.partSize).toBeLessThan(size);
      expect(plan.partCount * plan.partSize).toBeGreaterThanOrEqual(size);
    }
  });
});

describe("partRange", () => {
  it("makes the last part the remainder", () => {
    const size = 20 * MIB + 5;
    const plan = planParts(size);
    expect(partRange(plan, size, 1)).toEqual([0, 8 * MIB]);
    expect(partRange(plan, size, 2)).toEqual([8 * MIB, 16 * MIB]);
    expect(partRange(plan, size, 3)).toEqual([16 * MIB, size]);
  });
});

describe("multipartChecksums", () => {
  it("matches known vectors", async () => {
    const file = new Blob([new TextEncoder().encode("abc")]);
    const sums = await multipartChecksums(file, { partSize: 2, partCount: 2 });
    expect(sums.sha256).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sums.md5).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(sums.partMd5s).toEqual([
      "187ef4436122d1cc2f40dc2b92f0eba0", // "ab"
      "4a8a08f09d37b73795649038408b5f33", // "c"
    ]);
  });

  it("matches one-shot digests of a large file", async () => {
    const size = 17 * MIB + 12345;
    const bytes = patternBytes(size);
    const plan = planParts(size);
    const progress: number[] = [];
    const onProgress = (hashed: number) => progress.push(hashed);
    const sums = await multipartChecksums(new Blob([bytes]), plan, onProgress);

    expect(sums.sha256).toBe(toHex(await crypto.subtle.digest("SHA-256", bytes)));
    expect(sums.md5).toBe(SparkMD5.ArrayBuffer.hash(bytes.buffer));
    expect(sums.partMd5s).toHaveLength(plan.partCount);
    for (let partNumber = 1; partNumber <= plan.partCount; partNumber++) {
      const [start, end] = partRange(plan, size, partNumber);
      const part = bytes.slice(start, end).buffer as ArrayBuffer;
      expect(sums.partMd5s[partNumber - 1]).toBe(SparkMD5.ArrayBuffer.hash(part));
    }
    expect(progress).toEqual([8 * MIB, 16 * MIB, size]);
  });
});

describe("partialChecksums", () => {
  it("computes only the digests asked for, which join to the one-pass result", async () => {
    const file = new Blob([patternBytes(3 * 1024 + 7)]);
    const plan = { partSize: 1024, partCount: 4 };
    const sha256Only = await partialChecksums(file, plan, "sha256");
    const md5Only = await partialChecksums(file, plan, "md5s");

    expect(Object.keys(sha256Only)).toEqual(["sha256"]);
    expect(Object.keys(md5Only).sort()).toEqual(["md5", "partMd5s"]);
    expect(joinChecksums(sha256Only, md5Only)).toEqual(await multipartChecksums(file, plan));
    expect(joinChecksums(md5Only, sha256Only)).toEqual(await multipartChecksums(file, plan));
  });

  it("refuses to join passes that miss a digest", async () => {
    const file = new Blob([patternBytes(10)]);
    const plan = { partSize: 8, partCount: 2 };
    const sha256Only = await partialChecksums(file, plan, "sha256");

    expect(() => joinChecksums(sha256Only, sha256Only)).toThrow("no result");
  });
});
