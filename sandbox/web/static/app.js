// The sandbox's chat page: draws what one person sees and acts as that person.
// State lives on the server; this page fetches it again whenever the server says something
// changed (server-sent events) and after each of its own actions. Plain JS, no build step.
import { blocksHtml, choiceText, isMulti, messageBodyHtml, multiHtml, startValue } from "./blocks.js";
import { escapeHtml as esc, markdown, mrkdwn } from "./mrkdwn.js";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const ui = {
  me: null,        // handle or id of the person acting
  place: null,     // {kind: "channel", id} | {kind: "dm"} | {kind: "home"}
  tab: "messages", // in a channel with a canvas: "messages" | "canvas"
  thread: null,    // ts of the open thread
  snap: null,      // last state from the server
  editing: null,   // the form of a message being edited: its list is not redrawn meanwhile
  modalKey: "",    // id+hash of the modal on screen: redrawn only when it changes
  drafts: {},      // view id -> {"block/action": value} the person typed but did not submit
  memory: {},      // "ts/block/action" -> value chosen in a message element
  version: "",
  fetching: null,
  again: false,
};

// What the page itself says to the person, in their Slack language (Dutch unless English).
const TEXTS = {
  nl: {
    closeTitle: "Formulier sluiten",
    closeText: "Je hebt al iets ingevuld. Sluiten zonder op te slaan?",
    closeYes: "Sluiten zonder opslaan",
    closeNo: "Verder invullen",
  },
  en: {
    closeTitle: "Close the form",
    closeText: "You have already filled something in. Close without saving?",
    closeYes: "Close without saving",
    closeNo: "Keep editing",
  },
};

function say(key) {
  const language = (ui.snap?.me?.locale || "nl").split("-")[0].toLowerCase();
  return (TEXTS[language] || TEXTS.nl)[key];
}

// ----- talking to the server -----

async function act(action, args) {
  const response = await fetch("/ui/api/act", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: ui.me, action, args }),
  });
  const body = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  // A refused form is explained under its fields (see submitModal), not in a toast.
  if (!body.ok && !body.field_errors) toast(body.error || "Dat lukte niet.");
  refresh();
  return body;
}

function stateUrl() {
  const q = new URLSearchParams({ user: ui.me });
  if (ui.place?.kind === "channel") q.set("channel", ui.place.id);
  if (ui.place?.kind === "dm") q.set("channel", "dm");
  if (ui.thread && ui.place?.kind !== "home") q.set("thread", ui.thread);
  return `/ui/api/state?${q}`;
}

// One fetch at a time; a change noticed meanwhile triggers exactly one more.
async function refresh() {
  if (ui.fetching) {
    ui.again = true;
    return ui.fetching;
  }
  ui.fetching = (async () => {
    try {
      const response = await fetch(stateUrl(), { cache: "no-store" });
      const snap = await response.json();
      if (snap.ok && ui.place?.kind === "channel" && !snap.conversation) {
        // This person is not in that channel (a guest, say): show their first channel.
        const own = snap.channels.find((c) => c.is_member);
        ui.place = own ? { kind: "channel", id: own.id } : { kind: "dm" };
        ui.thread = null;
        ui.again = true;
      } else if (snap.ok) {
        ui.snap = snap;
        ui.version = snap.version;
        render();
      } else {
        toast(snap.error);
      }
    } catch (error) {
      $("#status").textContent = "Geen verbinding met de sandbox";
    } finally {
      ui.fetching = null;
      if (ui.again) {
        ui.again = false;
        refresh();
      }
    }
  })();
  return ui.fetching;
}

function listen() {
  const source = new EventSource("/ui/api/events");
  source.onmessage = (event) => {
    $("#status").textContent = "";
    if (event.data !== ui.version) refresh();
  };
  source.onerror = () => {
    $("#status").textContent = "Verbinding kwijt — opnieuw verbinden…";
  };
}

// ----- helpers -----

function ctx() {
  const snap = ui.snap;
  const people = new Map(snap.people.map((p) => [p.id, p]));
  const channels = new Map(snap.channels.map((c) => [c.id, c]));
  return {
    people: snap.people,
    channels: snap.channels,
    userName: (id) => people.get(id)?.name,
    channelName: (id) => channels.get(id)?.name,
    person: (id) => people.get(id),
  };
}

function toast(text) {
  const box = document.createElement("div");
  box.className = "toast";
  box.setAttribute("role", "alert");
  box.textContent = text;
  $("#toasts").append(box);
  setTimeout(() => box.remove(), 8000);
}

function avatarClass(id) {
  let h = 0;
  for (const ch of id || "") h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `av-${h % 8}`;
}

function initials(name) {
  return (name || "?").split(/\s+/).filter((w) => /^[A-Z]/.test(w)).map((w) => w[0]).slice(0, 2).join("") || "?";
}

function timeOf(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" });
}

function saveLocation() {
  const q = new URLSearchParams({ as: ui.me });
  if (ui.place?.kind === "channel") q.set("c", ui.place.id);
  else if (ui.place) q.set("c", ui.place.kind);
  if (ui.thread) q.set("t", ui.thread);
  history.replaceState(null, "", `#${q}`);
}

// ----- drawing -----

function setHtml(node, html) {
  // Redraw only what changed, so an open dropdown or a half-typed value is not disturbed;
  // and never under a message being edited.
  if (ui.editing && node.contains(ui.editing)) return false;
  if (node.dataset.html !== html) {
    node.innerHTML = html;
    node.dataset.html = html;
    return true;
  }
  return false;
}

// Lists of messages are patched node by node, keyed by ts: a message that did not change keeps
// its node, so a click that lands while the bot updates another message is never lost.
function patchList(box, items) {
  if (ui.editing && box.contains(ui.editing)) return false;
  const existing = new Map([...box.children].map((n) => [n.dataset.key, n]));
  let changed = false;
  let previous = null;
  for (const { key, html } of items) {
    let node = existing.get(key);
    if (!node || node.dataset.html !== html) {
      const template = document.createElement("template");
      template.innerHTML = html;
      const fresh = template.content.firstElementChild;
      fresh.dataset.key = key;
      fresh.dataset.html = html;
      if (node) node.replaceWith(fresh);
      node = fresh;
      changed = true;
    }
    existing.delete(key);
    const expected = previous ? previous.nextElementSibling : box.firstElementChild;
    if (expected !== node) {
      box.insertBefore(node, expected);
      changed = true;
    }
    previous = node;
  }
  for (const stale of existing.values()) {
    stale.remove();
    changed = true;
  }
  return changed;
}

function author(message, c) {
  if (message.bot_id || message.bot_profile) {
    return { id: message.bot_id, name: message.bot_profile?.name || "Casusbot", bot: true };
  }
  const person = c.person(message.user);
  return { id: message.user, name: person?.name || message.user || "?", bot: false, guest: person?.is_guest };
}

function surfaceOf(ref, values) {
  return {
    ref,
    valueOf(el, block) {
      const key = `${ref.message ? ref.message[1] : ref.view}/${block.block_id}/${el.action_id}`;
      if (ref.view && ui.drafts[ref.view]?.[`${block.block_id}/${el.action_id}`] !== undefined) {
        return ui.drafts[ref.view][`${block.block_id}/${el.action_id}`];
      }
      if (key in ui.memory) return ui.memory[key];
      return startValue(el, values, block.block_id);
    },
  };
}

function messageHtml(message, c, { channel, inThread, previous }) {
  if (message.subtype === "tombstone") {
    return `<div class="msg tombstone" data-ts="${esc(message.ts)}"><div class="gutter"></div>` +
      `<div class="content"><div class="b-text muted">Dit bericht is verwijderd.</div>${threadLink(message, inThread)}</div></div>`;
  }
  const who = author(message, c);
  const eph = Boolean(message.is_ephemeral);
  const pinned = Boolean(message.pinned_to?.includes(channel));
  const compact = previous && !eph && !pinned && !previous.is_ephemeral &&
    author(previous, c).id === who.id && Number(message.ts) - Number(previous.ts) < 300 &&
    !previous.reply_count;
  const ref = { message: [channel, message.ts] };
  const surface = surfaceOf(ref, null);
  const head = compact ? "" : `<div class="msg-head"><span class="name">${esc(who.name)}</span>` +
    `${who.bot ? `<span class="badge">APP</span>` : ""}${who.guest ? `<span class="badge guest">GAST</span>` : ""}` +
    `<span class="time">${timeOf(message.ts)}</span></div>`;
  const avatar = compact ? `<div class="gutter"><span class="time-hover">${timeOf(message.ts)}</span></div>`
    : `<div class="gutter"><div class="avatar ${who.bot ? "av-bot" : avatarClass(who.id)}">${who.bot ? "CB" : esc(initials(who.name))}</div></div>`;
  const mine = !who.bot && message.user === ui.snap.me.id && !eph;
  const tools = `<div class="msg-tools">${!inThread && !eph ? `<button type="button" class="tool reply" data-thread="${esc(message.ts)}" title="Reageer in draad">💬</button>` : ""}` +
    `${mine ? `<button type="button" class="tool edit" data-edit="${esc(message.ts)}" title="Bewerken">✏️</button>` +
      `<button type="button" class="tool delete" data-delete="${esc(message.ts)}" title="Verwijderen">🗑️</button>` : ""}</div>`;
  const note = eph ? `<div class="eph-note">👁 Alleen zichtbaar voor jou</div>` : "";
  const pinner = message.pinned_info?.[channel]?.pinned_by;
  const pin = pinned ? `<div class="pin-note">📌 Vastgemaakt in dit kanaal` +
    `${pinner ? ` door ${esc(c.userName(pinner) || pinner)}` : ""}</div>` : "";
  const broadcast = message.subtype === "thread_broadcast" && !inThread
    ? `<div class="muted small">antwoordde in een draad</div>` : "";
  // Slack marks people's edits; an app updating its own message (steering buttons) is not.
  const edited = message.edited && !who.bot ? `<span class="edited">(bewerkt)</span>` : "";
  return `<div class="msg${eph ? " ephemeral" : ""}${pinned ? " pinned" : ""}${compact ? " compact" : ""}" data-ts="${esc(message.ts)}" ` +
    `data-surface="${esc(JSON.stringify(ref))}">${avatar}<div class="content">${pin}${note}${head}${broadcast}` +
    `<div class="body">${messageBodyHtml(message, c, surface)}${edited}</div>` +
    `${threadLink(message, inThread)}</div>${tools}</div>`;
}

function threadLink(message, inThread) {
  if (inThread || !message.reply_count) return "";
  const n = message.reply_count;
  return `<button type="button" class="thread-link" data-thread="${esc(message.ts)}">` +
    `${n} ${n === 1 ? "antwoord" : "antwoorden"}</button>`;
}

function messageItems(list, c, channel, inThread) {
  let previous = null;
  return list.map((m) => {
    const item = { key: `${m.is_ephemeral ? "e" : "m"}${m.ts}`,
      html: messageHtml(m, c, { channel, inThread, previous }) };
    previous = m;
    return item;
  });
}

function byTs(a, b) {
  return Number(a.ts) - Number(b.ts);
}

function renderWho() {
  const select = $("#who");
  const html = ui.snap.people.filter((p) => !p.is_bot).map((p) =>
    `<option value="${esc(p.handle)}"${p.id === ui.snap.me.id ? " selected" : ""}>` +
    `${esc(p.name)} — ${esc(p.role || "deelnemer")}</option>`).join("");
  setHtml(select, html);
  select.value = ui.snap.me.handle;
  $("#team").textContent = ui.snap.team.name;
  $("#me").textContent = `${ui.snap.me.name} · ${ui.snap.me.title}`;
}

function renderSidebar() {
  const s = ui.snap;
  const app = s.apps[0];
  const here = (kind, id) => (ui.place?.kind === kind && (!id || ui.place.id === id) ? " active" : "");
  const channels = s.channels.filter((ch) => ch.is_member).map((ch) =>
    `<li><button type="button" class="nav${here("channel", ch.id)}" data-go="channel" data-id="${esc(ch.id)}">` +
    `<span class="icon">${ch.is_private ? "🔒" : "#"}</span>${esc(ch.name)}</button></li>`).join("");
  const appName = esc(app?.name || "Casusbot");
  setHtml($("#sidebar-lists"),
    `<h3>Apps</h3><ul><li><button type="button" class="nav${here("home")}" data-go="home">` +
    `<span class="icon">🏠</span>${appName} — Start</button></li></ul>` +
    `<h3>Kanalen</h3><ul>${channels}</ul>` +
    `<h3>Directe berichten</h3><ul><li><button type="button" class="nav${here("dm")}" data-go="dm">` +
    `<span class="icon app-dot">●</span>${appName}</button></li></ul>`);
}

function renderMain() {
  const s = ui.snap;
  const c = ctx();
  const composer = $("#composer");
  if (ui.place.kind === "home") {
    composer.hidden = true;
    setHtml($("#main-head"), `<div class="title">🏠 ${esc(s.apps[0]?.name || "Casusbot")}</div>` +
      `<div class="tabs"><span class="tab active">Start</span>` +
      `<button type="button" class="tab" data-go="dm">Berichten</button></div>`);
    const home = s.home;
    const html = home
      ? `<div class="home" data-surface="${esc(JSON.stringify({ view: home.id }))}">` +
        `${blocksHtml(home.blocks, c, surfaceOf({ view: home.id }, home.state?.values))}</div>`
      : `<div class="empty">Casusbot heeft nog geen startpagina voor je klaargezet…</div>`;
    patchList($("#messages"), [{ key: "home", html }]);
    return;
  }
  const conv = s.conversation;
  if (!conv) {
    composer.hidden = true;
    setHtml($("#main-head"), `<div class="title">Niet beschikbaar</div>`);
    patchList($("#messages"), [{ key: "none", html: `<div class="empty">Je bent geen lid van dit kanaal.</div>` }]);
    return;
  }
  if (!conv.canvas) ui.tab = "messages";
  const onCanvas = ui.tab === "canvas";
  composer.hidden = onCanvas;
  const title = conv.is_im ? `<span class="app-dot">●</span> ${esc(s.apps[0]?.name || "Casusbot")}`
    : `${conv.is_private ? "🔒" : "#"} ${esc(conv.name)}`;
  const pins = conv.messages.filter((m) => m.pinned_to?.includes(conv.id)).length;
  const tab = (name, label) => (ui.tab === name ? `<span class="tab active">${label}</span>`
    : `<button type="button" class="tab" data-tab="${name}">${label}</button>`);
  const tabs = conv.canvas ? `<div class="tabs">${tab("messages", "Berichten")}${tab("canvas", "📄 Canvas")}</div>` : "";
  const sub = conv.is_im ? `<div class="tabs"><button type="button" class="tab" data-go="home">Start</button>` +
    `<span class="tab active">Berichten</span></div>`
    : `${tabs}<div class="sub">${esc(conv.purpose || "")} · ${conv.member_count} leden` +
      `${pins ? ` · 📌 ${pins} vastgemaakt` : ""}</div>`;
  setHtml($("#main-head"), `<div class="title">${title}</div>${sub}`);
  if (onCanvas) {
    // The channel canvas, drawn again whenever the bot edits it (the page refetches on SSE).
    patchList($("#messages"), [{ key: `canvas-${conv.canvas.id}`, html:
      `<article class="canvas-doc" data-canvas="${esc(conv.canvas.id)}">` +
      `${markdown(conv.canvas.markdown, c)}</article>` }]);
    return;
  }
  $("#composer textarea").placeholder = conv.is_im ? `Bericht aan ${s.apps[0]?.name || "Casusbot"}`
    : `Bericht aan #${conv.name} — of een opdracht zoals /casus help`;
  const list = [...conv.messages, ...conv.ephemerals].sort(byTs);
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const changed = patchList(box, list.length ? messageItems(list, c, conv.id, false)
    : [{ key: "empty", html: `<div class="empty">Nog geen berichten.</div>` }]);
  if (changed && (atBottom || box.dataset.place !== placeKey())) box.scrollTop = box.scrollHeight;
  box.dataset.place = placeKey();
}

function placeKey() {
  return `${ui.me}:${ui.place?.kind}:${ui.place?.id || ""}`;
}

function renderThread() {
  const s = ui.snap;
  const pane = $("#thread");
  const th = s.thread;
  if (!th || ui.place.kind === "home") {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const c = ctx();
  const conv = s.conversation;
  $("#thread-where").textContent = conv.is_im ? "" : `#${conv.name}`;
  $("#thread-broadcast-label").hidden = conv.is_im;
  $("#thread-broadcast-name").textContent = conv.is_im ? "" : `#${conv.name}`;
  const list = [...th.replies, ...th.ephemerals].sort(byTs);
  const n = th.replies.length;
  const box = $("#thread-messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const changed = patchList(box, [
    { key: "parent", html: `<div class="thread-parent">${messageHtml(th.parent, c, { channel: conv.id, inThread: true })}</div>` },
    { key: "count", html: `<div class="replies-count">${n} ${n === 1 ? "antwoord" : "antwoorden"}</div>` },
    ...messageItems(list, c, conv.id, true),
  ]);
  if (changed && (atBottom || box.dataset.shownThread !== th.ts)) box.scrollTop = box.scrollHeight;
  box.dataset.shownThread = th.ts;
}

function readValue(node) {
  const kind = node.dataset.kind;
  if (isMulti(kind)) return JSON.parse(node.dataset.values || "[]");
  if (kind === "checkboxes") return $$("input:checked", node).map((i) => i.value);
  if (kind === "radio_buttons") return $("input:checked", node)?.value ?? null;
  if (kind === "timepicker") return node.value ? node.value.slice(0, 5) : null;
  if (kind === "datetimepicker") return node.value ? Math.floor(new Date(node.value).getTime() / 1000) : null;
  return node.value === "" ? null : node.value;
}

function collectDrafts(viewId) {
  const draft = (ui.drafts[viewId] ||= {});
  for (const node of $$("#modal [data-kind]")) {
    if (node.dataset.kind === "button" || !node.dataset.actionId) continue;
    draft[`${node.dataset.blockId}/${node.dataset.actionId}`] = readValue(node);
  }
}

function renderModal() {
  const view = ui.snap.modal;
  const overlay = $("#modal-overlay");
  if (!view) {
    overlay.hidden = true;
    ui.modalKey = "";
    return;
  }
  const key = `${ui.me}:${view.id}:${view.hash}`;
  if (key === ui.modalKey) return;
  if (ui.modalKey.startsWith(`${ui.me}:${view.id}:`)) collectDrafts(view.id); // updated in place
  ui.modalKey = key;
  overlay.hidden = false;
  const c = ctx();
  $("#modal-title").textContent = view.title?.text || "";
  $("#modal-back").hidden = ui.snap.modal_depth < 2;
  const body = $("#modal-body");
  body.dataset.surface = JSON.stringify({ view: view.id });
  body.innerHTML = blocksHtml(view.blocks, c, surfaceOf({ view: view.id }, view.state?.values));
  $("#modal-submit").hidden = !view.submit;
  $("#modal-submit").textContent = view.submit?.text || "Verstuur";
  $("#modal-close").textContent = view.close?.text || (view.submit ? "Annuleren" : "Sluiten");
  const first = $("input, textarea, select", body);
  if (first) first.focus();
}

function render() {
  renderWho();
  renderSidebar();
  renderMain();
  renderThread();
  renderModal();
  saveLocation();
}

// ----- acting -----

function surfaceRef(node) {
  const holder = node.closest("[data-surface]");
  return holder ? JSON.parse(holder.dataset.surface) : {};
}

function confirmDialog(confirm) {
  const c = ctx();
  const dialog = $("#confirm-overlay");
  $("#confirm-title").textContent = confirm.title?.text || "Weet je het zeker?";
  $("#confirm-text").innerHTML = confirm.text?.type === "mrkdwn" ? mrkdwn(confirm.text.text, c)
    : esc(confirm.text?.text || "");
  const yes = $("#confirm-yes");
  yes.textContent = confirm.confirm?.text || "Ja";
  yes.className = `btn ${confirm.style === "danger" ? "btn-danger" : "btn-primary"}`;
  $("#confirm-no").textContent = confirm.deny?.text || "Annuleren";
  dialog.hidden = false;
  yes.focus();
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.hidden = true;
      yes.onclick = null;
      $("#confirm-no").onclick = null;
      resolve(answer);
    };
    yes.onclick = () => done(true);
    $("#confirm-no").onclick = () => done(false);
  });
}

async function pressButton(node) {
  const el = JSON.parse(node.dataset.el);
  if (el.confirm && !(await confirmDialog(el.confirm))) return;
  if (el.url && /^https?:/i.test(el.url)) window.open(el.url, "_blank", "noopener");
  node.disabled = true;
  try {
    await act("click", {
      action_id: el.action_id, block_id: node.dataset.blockId, value: el.value ?? null,
      ...surfaceRef(node),
    });
  } finally {
    node.disabled = false;
  }
}

// A value changed in a select, picker or checkbox. Slack sends block_actions for elements
// outside input blocks (and inside them with dispatch_action); otherwise the value waits for
// the modal's submit.
async function changed(node) {
  const inputBlock = node.closest(".b-input");
  const value = readValue(node);
  const ref = surfaceRef(node);
  const key = `${node.dataset.blockId}/${node.dataset.actionId}`;
  if (ref.view) (ui.drafts[ref.view] ||= {})[key] = value;
  if (ref.message) ui.memory[`${ref.message[1]}/${key}`] = value;
  if (inputBlock && !inputBlock.dataset.dispatch) return;
  if (node.dataset.kind === "overflow") node.value = "";
  if (value === null && node.dataset.kind !== "overflow") return;
  await act("select", { action_id: node.dataset.actionId, block_id: node.dataset.blockId, value, ...ref });
}

function redrawMulti(node, values) {
  const el = JSON.parse(node.dataset.el);
  const block = { block_id: node.dataset.blockId };
  const wrapper = document.createElement("div");
  wrapper.innerHTML = multiHtml(el, block, ctx(), values);
  const fresh = wrapper.firstElementChild;
  node.replaceWith(fresh);
  return fresh;
}

function showFieldErrors(errors) {
  for (const [blockId, message] of Object.entries(errors || {})) {
    const block = $(`#modal-body .b-input[data-block-id="${CSS.escape(blockId)}"] .field-error`);
    if (block) block.textContent = message;
  }
}

// The sandbox checks what Slack's client checks (required, number range, length) and says
// what is wrong in the person's language; the page shows it under the field.
async function submitModal() {
  const view = ui.snap.modal;
  if (!view) return;
  const values = {};
  for (const block of $$("#modal-body .b-input")) {
    const node = $("[data-action-id]", block);
    if (!node) continue;
    $(".field-error", block).textContent = "";
    (values[block.dataset.blockId] ||= {})[node.dataset.actionId] = readValue(node);
  }
  const button = $("#modal-submit");
  button.disabled = true;
  try {
    const answer = await act("submit", { values });
    const ack = answer.result;
    if (!answer.ok) {
      showFieldErrors(answer.field_errors);
    } else if (ack?.response_action === "errors") {
      showFieldErrors(ack.errors);
    } else {
      delete ui.drafts[view.id];
    }
  } finally {
    button.disabled = false;
  }
}

// Whether the person changed anything in the open modal (compared with what the app preset).
function modalDirty() {
  const same = (a, b) => {
    const norm = (v) => (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)
      ? null : Array.isArray(v) ? [...v].map(String).sort() : String(v));
    return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
  };
  return $$("#modal-body [data-kind]").some((node) => {
    if (node.dataset.kind === "button" || !node.dataset.actionId) return false;
    const el = JSON.parse(node.dataset.el);
    return !same(readValue(node), startValue(el, null, node.dataset.blockId));
  });
}

async function closeModal() {
  if ($("#modal-overlay").hidden) return;
  if (modalDirty() && !(await confirmDialog({
    title: { text: say("closeTitle") }, text: { text: say("closeText") },
    confirm: { text: say("closeYes") }, deny: { text: say("closeNo") }, style: "danger",
  }))) return;
  const viewId = ui.snap.modal?.id;
  const answer = await act("close_modal", {});
  if (answer.ok && viewId) delete ui.drafts[viewId];
}

async function send(text, { thread } = {}) {
  const conv = ui.snap.conversation;
  if (!conv || !text.trim()) return;
  const slash = text.match(/^\/(\S+)\s*([\s\S]*)$/);
  if (slash) {
    await act("slash", { command: `/${slash[1]}`, text: slash[2].trim(), channel: conv.id });
    return;
  }
  const args = { channel: conv.id, text };
  if (thread) {
    args.thread_ts = thread;
    args.reply_broadcast = $("#thread-broadcast").checked;
  }
  await act("post", args);
}

function go(kind, id) {
  ui.place = kind === "channel" ? { kind, id } : { kind };
  ui.thread = null;
  ui.tab = "messages";
  if (kind === "home") act("open_home", {});
  refresh();
}

function wireComposer(form, options) {
  const area = $("textarea", form);
  const submit = async (event) => {
    event.preventDefault();
    const text = area.value;
    if (!text.trim()) return;
    area.value = "";
    await send(text, options());
    area.focus();
  };
  form.addEventListener("submit", submit);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
}

async function editMessage(ts) {
  const conv = ui.snap.conversation;
  const message = [...conv.messages, ...(ui.snap.thread?.replies || [])].find((m) => m.ts === ts);
  const node = $(`.msg[data-ts="${CSS.escape(ts)}"] .body`, document);
  if (!message || !node) return;
  node.innerHTML = `<form class="edit-form"><textarea rows="3"></textarea>` +
    `<div class="row"><button type="button" class="btn cancel">Annuleren</button>` +
    `<button type="submit" class="btn btn-primary">Opslaan</button></div></form>`;
  const form = $("form", node);
  ui.editing = form;
  const finish = () => {
    ui.editing = null;
    node.closest("[data-key]").dataset.html = ""; // drawn again from the server's copy
    refresh();
  };
  $("textarea", form).value = message.text || "";
  $("textarea", form).focus();
  $(".cancel", form).onclick = finish;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const text = $("textarea", form).value;
    finish();
    await act("edit", { channel: conv.id, ts, text });
  };
}

function wire() {
  document.addEventListener("click", async (event) => {
    const target = event.target;
    const nav = target.closest("[data-go]");
    if (nav) return go(nav.dataset.go, nav.dataset.id);
    const tab = target.closest("[data-tab]");
    if (tab) {
      ui.tab = tab.dataset.tab;
      return render();
    }
    const threadButton = target.closest("[data-thread]");
    if (threadButton) {
      ui.thread = threadButton.dataset.thread;
      return refresh();
    }
    const chipX = target.closest(".chip-x");
    if (chipX) {
      const node = chipX.closest(".el-multi");
      const values = JSON.parse(node.dataset.values).filter((v) => v !== chipX.parentElement.dataset.value);
      return changed(redrawMulti(node, values));
    }
    const edit = target.closest("[data-edit]");
    if (edit) return editMessage(edit.dataset.edit);
    const del = target.closest("[data-delete]");
    if (del) {
      const sure = await confirmDialog({ title: { text: "Bericht verwijderen?" },
        text: { text: "Weet je zeker dat je dit bericht wilt verwijderen?" },
        confirm: { text: "Verwijderen" }, deny: { text: "Annuleren" }, style: "danger" });
      if (sure) await act("delete", { channel: ui.snap.conversation.id, ts: del.dataset.delete });
      return;
    }
    const button = target.closest("button[data-action-id]");
    if (button) return pressButton(button);
  });
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "who") {
      ui.me = target.value;
      ui.modalKey = "";
      if (ui.place?.kind === "home") act("open_home", {});
      return refresh();
    }
    if (target.classList.contains("multi-add")) {
      const node = target.closest(".el-multi");
      if (!target.value) return;
      const values = [...JSON.parse(node.dataset.values), target.value];
      return changed(redrawMulti(node, values));
    }
    const node = target.closest("[data-kind]");
    if (!node || node.dataset.kind === "button") return;
    if (["plain_text_input", "number_input", "email_text_input", "url_text_input", "rich_text_input"]
      .includes(node.dataset.kind)) {
      const ref = surfaceRef(node);
      if (ref.view) (ui.drafts[ref.view] ||= {})[`${node.dataset.blockId}/${node.dataset.actionId}`] = readValue(node);
      return;
    }
    changed(node);
  });
  document.addEventListener("keydown", (event) => {
    const node = event.target.closest?.(".b-input[data-dispatch='1'] input[type=text]");
    if (node && event.key === "Enter") {
      event.preventDefault();
      changed(node);
    }
    if (event.key === "Escape" && !$("#confirm-overlay").hidden) $("#confirm-no").click();
    else if (event.key === "Escape" && !$("#modal-overlay").hidden) closeModal();
  });
  $("#modal-submit").addEventListener("click", submitModal);
  for (const id of ["#modal-close", "#modal-x", "#modal-back"]) $(id).addEventListener("click", closeModal);
  $("#thread-close").addEventListener("click", () => {
    ui.thread = null;
    refresh();
  });
  wireComposer($("#composer"), () => ({}));
  wireComposer($("#thread-composer"), () => ({ thread: ui.thread }));
}

async function start() {
  const saved = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  ui.me = query.get("as") || saved.get("as") || "petra";
  const where = query.get("c") || saved.get("c");
  ui.thread = saved.get("t");
  ui.place = where === "home" || where === "dm" ? { kind: where } : where ? { kind: "channel", id: where } : null;
  wire();
  if (!ui.place) {
    // First visit: the first private channel this person is in (the case channel).
    const probe = await (await fetch(`/ui/api/state?user=${encodeURIComponent(ui.me)}`)).json();
    const own = (probe.channels || []).filter((c) => c.is_member);
    const first = own.find((c) => c.is_private) || own[0];
    ui.place = first ? { kind: "channel", id: first.id } : { kind: "dm" };
  }
  if (ui.place.kind === "home") act("open_home", {});
  await refresh();
  listen();
}

start();
