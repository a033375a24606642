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
import { countOf, formatBytes, formatTime, h } from "./dom";
import { fileProblem } from "./files";
import { queuedDownloads, queuedUploads } from "./queue";
import {
  configureTransfers,
  downloadVersion,
  QUEUE_RETRY_MS,
  runQueue,
  uploadFiles,
} from "./transfers";

const main = document.getElementById("main") as HTMLElement;
const userNav = document.getElementById("user-nav") as HTMLElement;
const banner = document.getElementById("status-banner") as HTMLElement;

const ORGANIZATION_KEY = "custody.organization_id";
const EVIDENCE_PAGE_SIZE = 25;
// The server accepts search texts of 1 to 200 characters.
const SEARCH_MAX_LENGTH = 200;
const SEARCH_DELAY_MS = 300;

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

function canReview(entityId: string): boolean {
  return roleRank(effectiveRole(entityId)) >= roleRank("manager");
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

function showBanner(message: string, kind: "error" | "info" = "error", extra?: Node): void {
  banner.replaceChildren(h("p", { class: `banner banner-${kind}` }, message, extra));
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
        // custodyd sends the browser on to the organization's OIDC provider or SAML IdP.
        window.location.assign(`/auth/start?${query.toString()}`);
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

function evidenceRow(item: EvidenceItem): HTMLTableRowElement {
  const latest = item.latest_version;
  return h(
    "tr",
    {},
    h("td", { class: "name" }, link(`/evidence/${item.id}`, item.title)),
    h("td", { class: "name" }, latest ? `${latest.file_name} (${formatBytes(latest.size)})` : "no stored file"),
    h("td", {}, formatTime(item.created_at)),
  );
}

// The entity's evidence table with the server's search (`q`, title or description) and
// paging. The request goes SEARCH_DELAY_MS after the last keystroke, and the response to an
// older search is dropped.
async function evidenceList(entityId: string): Promise<HTMLElement[]> {
  const items: EvidenceItem[] = [];
  let cursor: string | null = null;
  let query = "";
  let generation = 0;

  const search = h("input", {
    type: "search",
    id: "evidence-search",
    maxlength: String(SEARCH_MAX_LENGTH),
    "aria-describedby": "evidence-count",
  });
  const count = h("p", { id: "evidence-count", class: "muted", "aria-live": "polite" });
  const tbody = h("tbody");
  const more = h("button", { type: "button" }, "Load more");
  const headers = ["Title", "Latest file", "Created"].map((name) =>
    h("th", { scope: "col" }, name),
  );
  const table = h(
    "table",
    {},
    h("caption", {}, "Evidence"),
    h("thead", {}, h("tr", {}, ...headers)),
    tbody,
  );

  const draw = () => {
    tbody.replaceChildren(...items.map(evidenceRow));
    if (items.length === 0) {
      const empty = query ? "No evidence matches the search." : "No evidence yet.";
      tbody.append(h("tr", {}, h("td", { colspan: "3" }, empty)));
    }
    const countText = `${countOf(items.length, "item")} shown${query ? ` for “${query}”` : ""}`;
    count.textContent = cursor === null ? `${countText}.` : `${countText}; more can be loaded.`;
    more.hidden = cursor === null;
  };

  const loadPage = async () => {
    const started = generation;
    const params = new URLSearchParams({ limit: String(EVIDENCE_PAGE_SIZE) });
    if (query) {
      params.set("q", query);
    }
    if (cursor !== null) {
      params.set("after", cursor);
    }
    const page: Page<EvidenceItem> = await api<Page<EvidenceItem>>(
      "GET",
      `/api/v1/entities/${entityId}/evidence?${params.toString()}`,
    );
    if (started !== generation) {
      return;
    }
    items.push(...page.items);
    cursor = page.next_cursor;
    draw();
  };

  let timer: number | undefined;
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      const next = search.value.trim();
      if (next === query) {
        return;
      }
      generation++;
      query = next;
      items.length = 0;
      cursor = null;
      void loadPage().catch(handleError);
    }, SEARCH_DELAY_MS);
  });
  // The focus moves to the first new item, because the button disappears after the last page.
  more.addEventListener("click", () => {
    more.disabled = true;
    const firstNew = items.length;
    void loadPage()
      .then(() => tbody.rows[firstNew]?.querySelector("a")?.focus())
      .catch(handleError)
      .finally(() => {
        more.disabled = false;
      });
  });
  await loadPage();

  const toolbar = h(
    "div",
    { class: "toolbar", role: "search" },
    h("label", { for: "evidence-search" }, "Search titles and descriptions"),
    search,
  );
  return [toolbar, count, table, more];
}

async function entityPage(entityId: string): Promise<void> {
  const entity = await api<Entity>("GET", `/api/v1/entities/${entityId}`);
  const list = await evidenceList(entityId);

  let createForm: HTMLElement | null = null;
  if (canUpload(entityId)) {
    const title = h("input", { id: "new-title", name: "title", required: true, maxlength: "200" });
    const description = h("textarea", { id: "new-description", name: "description", rows: "2" });
    const uploads = h("ul", { class: "uploads", "aria-live": "polite" });
    let chosen: File[] = [];
    const chosenText = h("p", { class: "muted", "aria-live": "polite" }, "No files chosen.");
    const formError = h("p", { class: "form-error", role: "alert", hidden: true });
    const submit = h("button", { type: "submit" }, "Create and upload");
    createForm = h(
      "form",
      {
        class: "card",
        "aria-labelledby": "new-evidence-heading",
        onsubmit: ((event: SubmitEvent) => {
          event.preventDefault();
          // Nothing is created unless every file can be uploaded, so a bad file leaves no
          // empty item behind.
          const problems =
            chosen.length === 0
              ? ["Choose at least one file to upload."]
              : chosen.map(fileProblem).filter((problem): problem is string => problem !== null);
          formError.textContent = problems.join(" ");
          formError.hidden = problems.length === 0;
          if (problems.length > 0) {
            return;
          }
          submit.disabled = true;
          void (async () => {
            const item = await api<EvidenceItem>("POST", `/api/v1/entities/${entityId}/evidence`, {
              title: title.value.trim(),
              description: description.value,
            });
            // The item page shows the stored versions. After a failure the progress list stays,
            // so the user sees which file failed and why. A user who left the page during a
            // long upload stays where they went.
            const startedAt = location.pathname;
            if ((await uploadFiles(item.id, chosen, uploads)) && location.pathname === startedAt) {
              navigate(`/evidence/${item.id}`);
            }
          })()
            .catch(handleError)
            .finally(() => {
              submit.disabled = false;
            });
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
      formError,
      submit,
      uploads,
    );
  }

  show(
    entity.name,
    h("p", {}, link("/", "All entities")),
    ...list,
    createForm,
  );
}

// The download button of a stored version, with a note while its download waits in the queue.
function downloadAction(version: Version, queuedDownloadIds: Set<string>): HTMLElement {
  const note = h("span", { class: "muted" });
  const showQueued = () => {
    note.textContent = " download queued";
  };
  if (queuedDownloadIds.has(version.id)) {
    showQueued();
  }
  const button = h(
    "button",
    {
      type: "button",
      "aria-label": `Download ${version.file_name}`,
      onclick: () =>
        void downloadVersion(version)
          .then((result) => {
            if (result === "queued") {
              showQueued();
            }
          })
          .catch(handleError),
    },
    "Download",
  );
  return h("span", {}, button, note);
}

async function evidencePage(evidenceId: string): Promise<void> {
  let item: EvidenceItem;
  try {
    item = await api<EvidenceItem>("GET", `/api/v1/evidence/${evidenceId}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      show("Not found", h("p", {}, "This page was not found, or you have no access to it."), link("/", "All entities"));
      return;
    }
    throw error;
  }
  const versions = await listAll<Version>(`/api/v1/evidence/${evidenceId}/versions`);
  const userId = me?.user.id ?? "";
  const queuedVersions = new Set((await queuedUploads(userId)).map((upload) => upload.versionId));
  const queuedDownloadIds = new Set(
    (await queuedDownloads(userId)).map((entry) => entry.versionId),
  );
  const uploader = (version: Version) =>
    me !== null && version.created_by === me.user.id
      ? "you"
      : (version.created_by_name ?? version.created_by);
  const stateText = (version: Version): string => {
    if (version.status === "stored") {
      return "stored";
    }
    if (queuedVersions.has(version.id)) {
      return "pending, queued for upload";
    }
    return `pending${version.failure_reason ? ` (${version.failure_reason})` : ""}`;
  };

  // The review state of a stored version, with Approve and Reject for a manager who did not
  // upload it (the server refuses reviews of one's own upload, and of lower roles, anyway).
  const reviewCell = (version: Version): HTMLElement => {
    if (version.status !== "stored") {
      return h("td", {});
    }
    const review = version.review ?? null;
    const reviewer = review === null ? "" : (review.created_by_name ?? review.created_by);
    const text =
      review === null
        ? "not reviewed"
        : `${review.decision} by ${reviewer}${review.comment ? `: ${review.comment}` : ""}`;
    const cell = h("td", {}, h("span", {}, text));
    if (canReview(item.entity_id) && version.created_by !== me?.user.id) {
      for (const [decision, label] of [
        ["approved", "Approve"],
        ["rejected", "Reject"],
      ] as const) {
        if (review?.decision === decision) {
          continue;
        }
        const button = h(
          "button",
          { type: "button", class: "inline-action", "aria-label": `${label} version ${version.number}` },
          label,
        );
        button.addEventListener("click", () => {
          button.disabled = true;
          void api("POST", `/api/v1/evidence/${evidenceId}/versions/${version.id}/review`, {
            decision,
          })
            .then(() => evidencePage(evidenceId))
            .catch(handleError)
            .finally(() => {
              button.disabled = false;
            });
        });
        cell.append(" ", button);
      }
    }
    return cell;
  };

  const rows = versions.map((version) =>
    h(
      "tr",
      { "data-state": queuedVersions.has(version.id) ? "queued" : version.status },
      h("td", { class: "nowrap" }, String(version.number)),
      h("td", { class: "name" }, version.file_name),
      h("td", { class: "nowrap" }, formatBytes(version.size)),
      h("td", {}, uploader(version)),
      h("td", { class: "nowrap" }, formatTime(version.stored_at ?? version.created_at)),
      h("td", {}, stateText(version)),
      reviewCell(version),
      h("td", {}, version.status === "stored" ? downloadAction(version, queuedDownloadIds) : null),
    ),
  );
  const table = h(
    "table",
    {},
    h("caption", {}, "Versions"),
    h(
      "thead",
      {},
      h("tr", {}, ...["Number", "File", "Size", "Uploaded by", "Time", "State", "Review", "Actions"].map((name) => h("th", { scope: "col" }, name))),
    ),
    h("tbody", {}, rows.length ? rows : [h("tr", {}, h("td", { colspan: "8" }, "No versions yet."))]),
  );

  let upload: HTMLElement | null = null;
  if (canUpload(item.entity_id)) {
    const uploads = h("ul", { class: "uploads", "aria-live": "polite" });
    upload = h(
      "section",
      { class: "card", "aria-labelledby": "upload-heading" },
      h("h2", { id: "upload-heading" }, "Upload a new version"),
      uploadPanel((files) => {
        const startedAt = location.pathname;
        void uploadFiles(item.id, files, uploads)
          // Redraws the versions, unless the user has left the page during the upload.
          .then(() => (location.pathname === startedAt ? evidencePage(evidenceId) : undefined))
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
    // A malformed id in a typed URL (400) is as unknown as a missing one.
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      show("Not found", h("p", {}, "This page was not found, or you have no access to it."), link("/", "All entities"));
      return;
    }
    handleError(error);
  }
}

configureTransfers({
  showBanner,
  refresh: () => void render(false),
  requireSignIn: (error) => handleError(error),
  userId: () => me?.user.id ?? null,
});
window.addEventListener("popstate", () => void render());
void render().then(() => runQueue());
window.setInterval(() => void runQueue(), QUEUE_RETRY_MS);
