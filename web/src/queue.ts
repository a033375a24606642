// The queues of transfers that wait for the bucket or AWS: uploads and downloads that failed
// because they could not be reached wait in IndexedDB, so a reload keeps them, and resume by
// themselves with fresh presigned URLs. An upload also waits here while the user signs in again.
import type { VersionChecksums } from "./upload";

const DATABASE = "custody";
// Version 1 had the uploads store only, and version 2 adds the downloads store.
const DATABASE_VERSION = 2;
const UPLOADS = "uploads";
const DOWNLOADS = "downloads";

export interface QueuedUpload {
  id?: number; // IndexedDB key, set when stored
  userId?: string; // who queued it; absent in entries from before the field existed
  evidenceId: string;
  versionId: string | null; // the pending version, once custodyd created it
  file: Blob;
  fileName: string;
  mediaType: string;
  queuedAt: string;
  // The checksums of an earlier attempt; absent in entries queued before multipart uploads.
  checksums?: VersionChecksums | null;
}

export interface QueuedDownload {
  id?: number; // IndexedDB key, set when stored
  userId?: string; // who queued it
  evidenceId: string;
  versionId: string;
  fileName: string;
  queuedAt: string;
}

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, DATABASE_VERSION);
    request.onupgradeneeded = () => {
      const database = request.result;
      for (const store of [UPLOADS, DOWNLOADS]) {
        if (!database.objectStoreNames.contains(store)) {
          database.createObjectStore(store, { keyPath: "id", autoIncrement: true });
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(
  storeName: string,
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const database = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(storeName, mode);
      const request = action(transaction.objectStore(storeName));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

export function enqueue(upload: QueuedUpload): Promise<IDBValidKey> {
  return withStore(UPLOADS, "readwrite", (store) => store.add(upload));
}

// A user sees and resumes only their own entries, because the queue belongs to the browser
// profile, which several users may sign in to.
function ownedBy<T extends { userId?: string }>(entries: T[], userId: string): T[] {
  return entries.filter((entry) => entry.userId === undefined || entry.userId === userId);
}

export async function queuedUploads(userId: string): Promise<QueuedUpload[]> {
  const all = await withStore(
    UPLOADS,
    "readonly",
    (store) => store.getAll() as IDBRequest<QueuedUpload[]>,
  );
  return ownedBy(all, userId);
}

export function removeQueued(id: number): Promise<undefined> {
  return withStore(UPLOADS, "readwrite", (store) => store.delete(id));
}

export function updateQueued(upload: QueuedUpload): Promise<IDBValidKey> {
  return withStore(UPLOADS, "readwrite", (store) => store.put(upload));
}

// Adds a download unless the same version already waits, so that repeated clicks during an
// outage start one download afterwards.
export async function enqueueDownload(
  download: QueuedDownload & { userId: string },
): Promise<void> {
  const waiting = await queuedDownloads(download.userId);
  if (waiting.some((entry) => entry.versionId === download.versionId)) {
    return;
  }
  await withStore(DOWNLOADS, "readwrite", (store) => store.add(download));
}

export async function queuedDownloads(userId: string): Promise<QueuedDownload[]> {
  const all = await withStore(
    DOWNLOADS,
    "readonly",
    (store) => store.getAll() as IDBRequest<QueuedDownload[]>,
  );
  return ownedBy(all, userId);
}

export function removeQueuedDownload(id: number): Promise<undefined> {
  return withStore(DOWNLOADS, "readwrite", (store) => store.delete(id));
}
