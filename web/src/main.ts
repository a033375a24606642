// The Custody browser app: routes, pages and the sign-in flow.
import "./style.css";

import {
  api,
  ApiError,
  listAll,
  ROLES,
  SignInRequiredError,
  signOut,
  type Entity,
  type EvidenceItem,
  type Me,
  type Page,
  type Role,
  type Version,
} from "./api";
import { formatBytes, formatTime, h } from "./dom";
import { enqueue, queuedUploads, removeQueued, updateQueued } from "./queue";
import { uploadVersion, type UploadProgress } from "./upload";

const main = document.getElementById("main") as HTMLElement;
const userNav = document.getElementById("user-nav") as HTMLElement;
const banner = document.getElementById("status-banner") as HTMLElement;

const ORGANIZATION_KEY = "custody.organization_id";
const EVIDENCE_PAGE_SIZE = 25;

let me: Me | null = null;
let entities: Entity[] = [];

// ---- Roles ----

function roleRank(role: Role | null): number {
  return role === null ? -1 : ROLES.indexOf(role);
}

// The caller's strongest role on the entity, from assignments on it or on an ancestor. The
// server decides every request itself, so this only hides actions that would be rejected.
function effectiveRole(entityId: string): Role | null {
  if (me === null) {
    return null;
  }
  const byId = new Map(entities.map((entity) => [entity.id, entity]));
  const lineage = new Set<string>();
  for (let id: string | null = entityId; id !== null && !lineage.has(id); ) {
    lineage.add(id);
    id = byId.get(id)?.parent_id ?? null;
  }
  let best: Role | null = null;
  for (const assignment of me.role_assignments) {
    if (lineage.has(assignment.entity_id) && roleRank(assignment.role) > roleRank(best)) {
      best = assignment.role;
    }
  }
  return best;
}

function canUpload(entityId: string): boolean {
  return roleRank(effectiveRole(entityId)) >= roleRank("contributor");
}

// ---- Navigation ----

function navigate(path: string): void {
  history.pushState(null, "", path);
  void render();
}

function link(path: string, text: string): HTMLAnchorElement {
  return h("a", {
    href: path,
    onclick: ((event: MouseEvent) => {
      if (event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey) {
        event.preventDefault();
        navigate(path);
      }
    }) as EventListener,
  }, text);
}

function show(title: string, ...content: (Node | null)[]): void {
  document.title = `${title} · Custody`;
  main.replaceChildren(h("h1", {}, title), ...content.filter((node): node is Node => node !== null));
  main.focus();
}

function showBanner(message: string, kind: "error" | "info" = "error"): void {
  banner.replaceChildren(h("p", { class: `banner banner-${kind}` }, message));
}

function clearBanner(): void {
  banner.replaceChildren();
}

// ---- Sign-in ----

function showSignIn(reason?: string): void {
  me = null;
  userNav.replaceChildren();
  const returnTo = location.pathname + location.search;
  const params = new URLSearchParams(location.search);
  const remembered = params.get("organization_id") ?? localStorage.getItem(ORGANIZATION_KEY) ?? "";
  const input = h("input", {
    id: "organization-id",
    name: "organization_id",
    required: true,
    autocomplete: "organization",
    pattern: "org_[A-Za-z0-9]+",
    value: remembered,
  });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: ((event: SubmitEvent) => {
        event.preventDefault();
        const organizationId = input.value.trim();
        localStorage.setItem(ORGANIZATION_KEY, organizationId);
        const query = new URLSearchParams({ organization_id: organizationId, return_to: returnTo });
        window.location.assign(`/auth/oidc/start?${query.toString()}`);
      }) as EventListener,
    },
    h("label", { for: "organization-id" }, "Organization ID"),
    input,
    h("button", { type: "submit" }, "Sign in with SSO"),
  );
  show("Sign in", reason ? h("p", { role: "alert" }, reason) : null, form);
  if (remembered === "") {
    input.focus();
  }
}

// ---- Pages ----

function entityTree(): HTMLElement {
  const children = new Map<string | null, Entity[]>();
  const visible = new Set(entities.map((entity) => entity.id));
  for (const entity of entities) {
    // An entity whose parent is out of scope is a top of the visible tree.
    const parent = entity.parent_id !== null && visible.has(entity.parent_id) ? entity.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), entity]);
  }
  const build = (parent: string | null): HTMLElement | null => {
    const list = children.get(parent);
    if (!list) {
      return null;
    }
    return h(
      "ul",
      { class: "tree" },
      list.map((entity) =>
        h(
          "li",
          {},
          link(`/entities/${entity.id}`, entity.name),
          h("span", { class: "muted" }, ` ${entity.kind.replace("_", " ")} · ${effectiveRole(entity.id) ?? "no role"}`),
          build(entity.id),
        ),
      ),
    );
  };
  return build(null) ?? h("p", {}, "You have no entities in scope.");
}

function homePage(): void {
  show("Entities", h("nav", { "aria-label": "Entities" }, entityTree()));
}

function uploadPanel(onFiles: (files: File[]) => void, label: string): HTMLElement {
  const input = h("input", { type: "file", id: "file-input", multiple: true, class: "visually-hidden" });
  input.addEventListener("change", () => {
    onFiles(Array.from(input.files ?? []));
    input.value = "";
  });
  const zone = h(
    "div",
    { class: "drop-zone" },
    h("label", { for: "file-input", class: "button" }, label),
    h("span", { class: "muted" }, " or drop files here"),
    input,
  );
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drag");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drag"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("drag");
    onFiles(Array.from(event.dataTransfer?.files ?? []));
  });
  return zone;
}

const PHASE_TEXT: Record<UploadProgress["phase"], string> = {
  hashing: "computing checksums",
  uploading: "uploading to the bucket",
  completing: "verifying",
  stored: "stored",
  queued: "queued: waits until the bucket can be reached",
  failed: "failed",
};
const QUEUE_RETRY_MS = 5000;

// Uploads the files one after another, each with its own progress bar in `list`. A file that
// fails because the bucket or AWS cannot be reached goes to the queue. Returns true when every
// file is stored.
async function uploadFiles(evidenceId: string, files: File[], list: HTMLElement): Promise<boolean> {
  let allStored = true;
  for (const file of files) {
    const bar = h("progress", { max: String(file.size), value: "0" });
    const state = h("span", { class: "upload-state" }, "waiting");
    const row = h("li", { class: "upload" }, h("span", {}, file.name), bar, state);
    bar.setAttribute("aria-label", `Upload of ${file.name}`);
    list.append(row);
    let versionId: string | null = null;
    try {
      await uploadVersion(
        evidenceId,
        file,
        file.name,
        (progress) => {
          bar.value = progress.loaded;
          state.textContent = PHASE_TEXT[progress.phase];
          row.dataset.state = progress.phase;
        },
        null,
        (created) => {
          versionId = created;
        },
      );
    } catch (error) {
      allStored = false;
      if (error instanceof SignInRequiredError) {
        throw error;
      }
      if (error instanceof ApiError && error.unreachable) {
        await enqueue({
          evidenceId,
          versionId,
          file,
          fileName: file.name,
          mediaType: file.type,
          queuedAt: new Date().toISOString(),
        });
        row.dataset.state = "queued";
        state.textContent = PHASE_TEXT.queued;
        await showQueueState();
        continue;
      }
      row.dataset.state = "failed";
      state.textContent = `failed: ${(error as Error).message}`;
    }
  }
  return allStored;
}

async function showQueueState(): Promise<void> {
  const queued = await queuedUploads();
  if (queued.length === 0) {
    return;
  }
  const names = queued.map((upload) => upload.fileName).join(", ");
  showBanner(
    `The evidence bucket cannot be reached. ${queued.length} queued upload(s) will resume by ` +
      `themselves: ${names}.`,
  );
}

let queueRunning = false;

// Retries every queued upload once. An upload that still cannot reach the bucket stays queued,
// and one that fails for another reason leaves the queue with a message.
async function runQueue(): Promise<void> {
  if (queueRunning || me === null) {
    return;
  }
  queueRunning = true;
  try {
    const queued = await queuedUploads();
    let stored = 0;
    for (const upload of queued) {
      try {
        await uploadVersion(
          upload.evidenceId,
          upload.file,
          upload.fileName,
          () => {},
          upload.versionId,
          (created) => {
            upload.versionId = created;
            void updateQueued(upload);
          },
        );
        await removeQueued(upload.id as number);
        stored++;
      } catch (error) {
        if (error instanceof ApiError && error.unreachable) {
          await showQueueState();
          return;
        }
        if (error instanceof SignInRequiredError) {
          return;
        }
        await removeQueued(upload.id as number);
        showBanner(`The queued upload of ${upload.fileName} failed: ${(error as Error).message}`);
        return;
      }
    }
    if (stored > 0) {
      banner.replaceChildren(
        h("p", { class: "banner banner-info" }, `${stored} queued upload(s) stored.`),
      );
      void render(false);
    }
  } finally {
    queueRunning = false;
  }
}

async function entityPage(entityId: string): Promise<void> {
  const entity = await api<Entity>("GET", `/api/v1/entities/${entityId}`);
  const items: EvidenceItem[] = [];
  let cursor: string | null = null;

  const search = h("input", { type: "search", id: "evidence-search", placeholder: "Title contains" });
  const tbody = h("tbody");
  const more = h("button", { type: "button" }, "Load more");
  const table = h(
    "table",
    {},
    h("caption", {}, "Evidence"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Latest file"), h("th", { scope: "col" }, "Created"))),
    tbody,
  );

  const draw = () => {
    const needle = search.value.trim().toLowerCase();
    const matching = items.filter((item) => item.title.toLowerCase().includes(needle));
    tbody.replaceChildren(
      ...matching.map((item) =>
        h(
          "tr",
          {},
          h("td", {}, link(`/evidence/${item.id}`, item.title)),
          h("td", {}, item.latest_version ? `${item.latest_version.file_name} (${formatBytes(item.latest_version.size)})` : "no stored file"),
          h("td", {}, formatTime(item.created_at)),
        ),
      ),
    );
    if (matching.length === 0) {
      tbody.append(h("tr", {}, h("td", { colspan: "3" }, needle ? "No loaded evidence matches." : "No evidence yet.")));
    }
    more.hidden = cursor === null;
  };

  const loadPage = async () => {
    const query: string = cursor === null ? "" : `&after=${encodeURIComponent(cursor)}`;
    const page: Page<EvidenceItem> = await api<Page<EvidenceItem>>(
      "GET",
      `/api/v1/entities/${entityId}/evidence?limit=${EVIDENCE_PAGE_SIZE}${query}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
    draw();
  };
  search.addEventListener("input", draw);
  more.addEventListener("click", () => void loadPage().catch(handleError));
  await loadPage();

  let createForm: HTMLElement | null = null;
  if (canUpload(entityId)) {
    const title = h("input", { id: "new-title", name: "title", required: true, maxlength: "200" });
    const description = h("textarea", { id: "new-description", name: "description", rows: "2" });
    const uploads = h("ul", { class: "uploads" });
    let chosen: File[] = [];
    const chosenText = h("p", { class: "muted", "aria-live": "polite" }, "No files chosen.");
    createForm = h(
      "form",
      {
        class: "card",
        "aria-labelledby": "new-evidence-heading",
        onsubmit: ((event: SubmitEvent) => {
          event.preventDefault();
          void (async () => {
            const item = await api<EvidenceItem>("POST", `/api/v1/entities/${entityId}/evidence`, {
              title: title.value.trim(),
              description: description.value,
            });
            // The item page shows the stored versions. After a failure the progress list stays,
            // so the user sees which file failed and why.
            if (await uploadFiles(item.id, chosen, uploads)) {
              navigate(`/evidence/${item.id}`);
            }
          })().catch(handleError);
        }) as EventListener,
      },
      h("h2", { id: "new-evidence-heading" }, "New evidence"),
      h("label", { for: "new-title" }, "Title"),
      title,
      h("label", { for: "new-description" }, "Description"),
      description,
      uploadPanel((files) => {
        chosen = files;
        chosenText.textContent = files.map((file) => file.name).join(", ") || "No files chosen.";
      }, "Choose files"),
      chosenText,
      h("button", { type: "submit" }, "Create and upload"),
      uploads,
    );
  }

  show(
    entity.name,
    h("p", {}, link("/", "All entities")),
    h("div", { class: "toolbar" }, h("label", { for: "evidence-search" }, "Search loaded evidence"), search),
    table,
    more,
    createForm,
  );
}

async function evidencePage(evidenceId: string): Promise<void> {
  let item: EvidenceItem;
  try {
    item = await api<EvidenceItem>("GET", `/api/v1/evidence/${evidenceId}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      show("Not found", h("p", {}, "This evidence was not found, or you have no access to it."), link("/", "All entities"));
      return;
    }
    throw error;
  }
  const versions = await listAll<Version>(`/api/v1/evidence/${evidenceId}/versions`);
  const queuedVersions = new Set((await queuedUploads()).map((upload) => upload.versionId));
  const uploader = (userId: string) => (me !== null && userId === me.user.id ? "you" : userId);
  const stateText = (version: Version): string => {
    if (version.status === "stored") {
      return "stored";
    }
    if (queuedVersions.has(version.id)) {
      return `pending, ${PHASE_TEXT.queued}`;
    }
    return `pending${version.failure_reason ? ` (${version.failure_reason})` : ""}`;
  };

  const rows = versions.map((version) =>
    h(
      "tr",
      { "data-state": queuedVersions.has(version.id) ? "queued" : version.status },
      h("td", {}, String(version.number)),
      h("td", {}, version.file_name),
      h("td", {}, formatBytes(version.size)),
      h("td", {}, uploader(version.created_by)),
      h("td", {}, formatTime(version.stored_at ?? version.created_at)),
      h("td", {}, stateText(version)),
      h(
        "td",
        {},
        version.status === "stored"
          ? h("button", { type: "button", onclick: () => void download(version).catch(handleError) }, `Download ${version.file_name}`)
          : null,
      ),
    ),
  );
  const table = h(
    "table",
    {},
    h("caption", {}, "Versions"),
    h(
      "thead",
      {},
      h("tr", {}, ...["Number", "File", "Size", "Uploaded by", "Time", "State", "Actions"].map((name) => h("th", { scope: "col" }, name))),
    ),
    h("tbody", {}, rows.length ? rows : [h("tr", {}, h("td", { colspan: "7" }, "No versions yet."))]),
  );

  let upload: HTMLElement | null = null;
  if (canUpload(item.entity_id)) {
    const uploads = h("ul", { class: "uploads" });
    upload = h(
      "section",
      { class: "card", "aria-labelledby": "upload-heading" },
      h("h2", { id: "upload-heading" }, "Upload a new version"),
      uploadPanel((files) => {
        void uploadFiles(item.id, files, uploads)
          .then(() => evidencePage(evidenceId))
          .catch(handleError);
      }, "Upload files"),
      uploads,
    );
  }

  show(
    item.title,
    h("p", {}, link(`/entities/${item.entity_id}`, "Back to the entity")),
    item.description ? h("p", {}, item.description) : null,
    table,
    upload,
  );
}

async function download(version: Version): Promise<void> {
  const target = await api<{ url: string }>(
    "POST",
    `/api/v1/evidence/${version.evidence_id}/versions/${version.id}/download`,
  );
  // S3 sends Content-Disposition: attachment, so the browser saves the file and the page stays.
  const anchor = h("a", { href: target.url, rel: "noreferrer", hidden: true });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

// ---- Shell ----

function handleError(error: unknown): void {
  if (error instanceof SignInRequiredError) {
    // Before the first sign-in of this page there was no session that could have ended.
    showSignIn(me !== null ? error.message : undefined);
    return;
  }
  if (error instanceof ApiError && error.unreachable) {
    showBanner(`Custody or the evidence bucket cannot be reached: ${error.message}`);
    return;
  }
  showBanner(error instanceof Error ? error.message : String(error));
}

async function loadSession(): Promise<void> {
  me = await api<Me>("GET", "/api/v1/me");
  localStorage.setItem(ORGANIZATION_KEY, me.organization.id);
  entities = await listAll<Entity>("/api/v1/entities");
  userNav.replaceChildren(
    h("span", { class: "muted" }, `${me.user.email} · ${me.organization.name}`),
    h("button", { type: "button", onclick: () => void signOut() }, "Sign out"),
  );
}

async function render(clear = true): Promise<void> {
  if (clear) {
    clearBanner();
  }
  try {
    if (me === null) {
      await loadSession();
    }
    const path = location.pathname;
    const evidence = /^\/evidence\/([^/]+)$/.exec(path);
    const entity = /^\/entities\/([^/]+)$/.exec(path);
    if (evidence) {
      await evidencePage(decodeURIComponent(evidence[1]));
    } else if (entity) {
      await entityPage(decodeURIComponent(entity[1]));
    } else if (path === "/" || path === "/sign-in") {
      homePage();
    } else {
      show("Not found", h("p", {}, "This page was not found."), link("/", "All entities"));
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      show("Not found", h("p", {}, "This item was not found, or you have no access to it."), link("/", "All entities"));
      return;
    }
    handleError(error);
  }
}

window.addEventListener("popstate", () => void render());
void render().then(() => runQueue());
window.setInterval(() => void runQueue(), QUEUE_RETRY_MS);
