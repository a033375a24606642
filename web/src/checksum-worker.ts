// A dedicated worker that computes checksums of a multipart upload, so that hashing a large
// file does not block the page. The page posts {file, plan, digests}. The worker posts
// {type: "progress", hashed} after each part, then {type: "done", checksums} (the digests
// asked for) or {type: "error", message}.
import { partialChecksums, type DigestSet, type PartPlan } from "./checksums";

// The worker's global scope. The project's TypeScript library is DOM, not WebWorker, so only
// the two members used here are declared.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<{ file: Blob; plan: PartPlan; digests: DigestSet }>) => void) | null;
  postMessage: (message: unknown) => void;
};

scope.onmessage = (event) => {
  const { file, plan, digests } = event.data;
  partialChecksums(file, plan, digests, (hashed) => scope.postMessage({ type: "progress", hashed }))
    .then((checksums) => scope.postMessage({ type: "done", checksums }))
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      scope.postMessage({ type: "error", message });
    });
};
