import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("./api", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./api")>()),
  api: vi.fn(),
}));
vi.mock("./s3", () => ({ putToS3: vi.fn() }));
vi.mock("./multipart", () => ({ uploadMultipart: vi.fn() }));

import { api, ApiError } from "./api";
import { uploadMultipart } from "./multipart";
import { putToS3 } from "./s3";
import { uploadVersion, type UploadRequest, type VersionChecksums } from "./upload";

const MIB = 1024 * 1024;
const MULTIPART_CHECKSUMS: VersionChecksums = {
  sha256: "a".repeat(64),
  md5: "b".repeat(32),
  part_size: 8 * MIB,
  part_md5s: ["c".repeat(32), "d".repeat(32), "e".repeat(32)],
};

function request(overrides: Partial<UploadRequest>): UploadRequest {
  return {
    evidenceId: "evd_1",
    file: new Blob([new Uint8Array(20 * MIB)]),
    fileName: "large.bin",
    versionId: null,
    checksums: MULTIPART_CHECKSUMS,
    onProgress: () => {},
    onVersion: () => {},
    onChecksums: () => {},
    ...overrides,
  };
}

const VERSION = { id: "ver_1", evidence_id: "evd_1" };
const MULTIPART = { method: "MULTIPART", part_size: 8 * MIB, part_count: 3 };

beforeEach(() => {
  vi.mocked(api).mockReset();
  vi.mocked(putToS3).mockReset();
  vi.mocked(uploadMultipart).mockReset();
});

describe("uploadVersion", () => {
  it("creates a multipart version and completes it", async () => {
    vi.mocked(api)
      .mockResolvedValueOnce({ version: VERSION, upload: MULTIPART })
      .mockResolvedValueOnce({ ...VERSION, status: "stored" });
    const created: string[] = [];
    await uploadVersion(request({ onVersion: (id) => created.push(id) }));

    const [method, path, body] = vi.mocked(api).mock.calls[0];
    expect([method, path]).toEqual(["POST", "/api/v1/evidence/evd_1/versions"]);
    expect(body).toMatchObject({ file_name: "large.bin", size: 20 * MIB, part_size: 8 * MIB });
    expect((body as VersionChecksums).part_md5s).toHaveLength(3);
    expect(created).toEqual(["ver_1"]);
    expect(vi.mocked(uploadMultipart).mock.calls[0][0]).toMatchObject({
      versionId: "ver_1",
      plan: { partSize: 8 * MIB, partCount: 3 },
      askUploadedParts: false,
    });
    expect(vi.mocked(api).mock.calls[1][1]).toBe("/api/v1/evidence/evd_1/versions/ver_1/complete");
  });

  it("resumes a multipart version with its stored parts", async () => {
    vi.mocked(api)
      .mockResolvedValueOnce({ version: VERSION, upload: MULTIPART })
      .mockResolvedValueOnce({ ...VERSION, status: "stored" });
    await uploadVersion(request({ versionId: "ver_1" }));

    const [, path] = vi.mocked(api).mock.calls[0];
    expect(path).toBe("/api/v1/evidence/evd_1/versions/ver_1/upload-url");
    expect(vi.mocked(uploadMultipart).mock.calls[0][0].askUploadedParts).toBe(true);
    expect(putToS3).not.toHaveBeenCalled();
  });

  it("resumes a single PUT with a fresh URL", async () => {
    const upload = { method: "PUT", url: "https://bucket.test/key", headers: {}, expires_at: "" };
    vi.mocked(api)
      .mockResolvedValueOnce({ version: VERSION, upload })
      .mockResolvedValueOnce({ ...VERSION, status: "stored" });
    const file = new Blob([new Uint8Array(10)]);
    await uploadVersion(request({ versionId: "ver_1", file }));

    expect(vi.mocked(putToS3).mock.calls[0][0]).toBe(upload);
    expect(vi.mocked(putToS3).mock.calls[0][1]).toBe(file);
    expect(uploadMultipart).not.toHaveBeenCalled();
  });

  it("explains a part list over the body limit", async () => {
    vi.mocked(api).mockRejectedValueOnce(new ApiError(413, "request body too large"));
    const many = { ...MULTIPART_CHECKSUMS, part_md5s: Array(2000).fill("c".repeat(32)) };
    const upload = uploadVersion(request({ checksums: many }));

    await expect(upload).rejects.toThrow("the file needs 2000 parts");
    await expect(upload).rejects.toMatchObject({ status: 413 });
  });

  it("reuses checksums of an earlier attempt", async () => {
    vi.mocked(api).mockRejectedValueOnce(new ApiError(503, "AWS cannot be reached"));
    const onChecksums = vi.fn();
    await expect(uploadVersion(request({ onChecksums }))).rejects.toMatchObject({ status: 503 });

    expect(onChecksums).not.toHaveBeenCalled();
    expect(vi.mocked(api).mock.calls[0][2]).toMatchObject({ sha256: "a".repeat(64) });
  });
});
