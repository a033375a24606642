// The upload queue: uploads that failed because the bucket or AWS could not be reached wait in
// IndexedDB, so a reload keeps them, and resume by themselves with fresh presigned URLs.

const DATABASE = "custody";
const STORE = "uploads";

export interface QueuedUpload {
  id?: number; // IndexedDB key, set when stored
  evidenceId: string;
  versionId: string | null; // the pending version, once custodyd created it
  file: Blob;
  fileName: string;
  mediaType: string;
  queuedAt: string;
}

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const database = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close();
  }
}

export function enqueue(upload: QueuedUpload): Promise<IDBValidKey> {
  return withStore("readwrite", (store) => store.add(upload));
}

export function queuedUploads(): Promise<QueuedUpload[]> {
  return withStore("readonly", (store) => store.getAll() as IDBRequest<QueuedUpload[]>);
}

export function removeQueued(id: number): Promise<undefined> {
  return withStore("readwrite", (store) => store.delete(id));
}

export function updateQueued(upload: QueuedUpload): Promise<IDBValidKey> {
  return withStore("readwrite", (store) => store.put(upload));
}
