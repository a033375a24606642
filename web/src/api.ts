// The client of custodyd's /api/v1 and /auth endpoints. The browser authenticates with the
// session cookie, and every unsafe request carries the CSRF cookie's value in X-CSRF-Token.

export class SignInRequiredError extends Error {
  constructor(message = "Your session has ended. Sign in again to continue.") {
    super(message);
  }
}

// An error response of the API (RFC 9457 problem details) or a failed connection (status 0).
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503;
  }
}

export interface Entity {
  id: string;
  name: string;
  kind: string;
  parent_id: string | null;
  created_at: string;
}

export interface Version {
  id: string;
  evidence_id: string;
  number: number;
  file_name: string;
  media_type: string;
  size: number;
  sha256: string;
  status: "pending" | "stored";
  failure_reason: string | null;
  created_at: string;
  created_by: string;
  // The creator's display name or e-mail. It is null for a deleted user and absent from the
  // responses of the upload calls.
  created_by_name?: string | null;
  stored_at: string | null;
  // Set for a multipart upload, null for a single PUT. Servers before multipart leave it out.
  part_size?: number | null;
  part_count?: number | null;
  // In version lists: the latest review, or null when the version has none.
  review?: Review | null;
}

// The latest review of a stored version.
export interface Review {
  id: string;
  decision: "approved" | "rejected";
  comment: string;
  created_by: string;
  created_by_name?: string | null;
  created_at: string;
}

export interface EvidenceItem {
  id: string;
  entity_id: string;
  title: string;
  description: string;
  created_at: string;
  created_by: string;
  created_by_name?: string | null;
  latest_version: Version | null;
}

export interface RoleAssignment {
  id: string;
  user_id: string;
  entity_id: string;
  role: Role;
}

export interface Me {
  user: { id: string; email: string; display_name: string };
  organization: { id: string; name: string; root_entity_id: string };
  role_assignments: RoleAssignment[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

// A presigned S3 request. The client sends exactly `headers`, except Host and Content-Length,
// which the browser sets itself.
export interface PresignedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  expires_at: string;
}

export interface MultipartUpload {
  method: "MULTIPART";
  part_size: number;
  part_count: number;
}

export interface UploadTarget {
  version: Version;
  upload: PresignedRequest | MultipartUpload;
}

export interface PartUrl extends PresignedRequest {
  part_number: number;
}

// The parts that S3 already stores with their declared size.
export interface UploadedParts {
  part_size: number;
  part_count: number;
  uploaded: { part_number: number; size: number }[];
}

export const ROLES = ["viewer", "auditor", "contributor", "manager", "admin"] as const;
export type Role = (typeof ROLES)[number];

function csrfToken(): string {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "__Host-custody-csrf" || name === "custody-csrf") {
      return decodeURIComponent(rest.join("="));
    }
  }
  return "";
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrfToken();
  }
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "Custody cannot be reached. Check your network connection.");
  }
}

// Asks for a new access token with the refresh cookie. Returns false when the session ended.
async function refreshSession(): Promise<boolean> {
  const response = await send("POST", "/auth/token");
  return response.ok;
}

async function problemMessage(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { title?: string; detail?: string };
    return problem.detail || problem.title || `request failed with status ${response.status}`;
  } catch {
    return `request failed with status ${response.status}`;
  }
}

// Sends one API request and returns the parsed JSON body. An expired access token is renewed
// once. When that fails too, it throws SignInRequiredError and the app shows the sign-in.
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body);
  if (response.status === 401 && (await refreshSession())) {
    response = await send(method, path, body);
  }
  if (response.status === 401) {
    throw new SignInRequiredError();
  }
  if (!response.ok) {
    throw new ApiError(response.status, await problemMessage(response));
  }
  if (response.status === 204) {
    return undefined as T;
  }
  return (await response.json()) as T;
}

// Reads every page of a list endpoint. Lists in the app are small (entities), so this stops
// after `maxPages` pages.
export async function listAll<T>(path: string, maxPages = 50): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const query: string = after === null ? "?limit=200" : `?limit=200&after=${encodeURIComponent(after)}`;
    const result: Page<T> = await api<Page<T>>("GET", path + query);
    items.push(...result.items);
    after = result.next_cursor;
    if (after === null) {
      break;
    }
  }
  return items;
}

export async function signOut(): Promise<void> {
  const response = await send("POST", "/auth/sign-out");
  let endSessionUrl: string | null = null;
  if (response.ok) {
    endSessionUrl = ((await response.json()) as { end_session_url: string | null })
      .end_session_url;
  }
  window.location.assign(endSessionUrl ?? "/");
}
