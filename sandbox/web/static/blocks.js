// Block Kit as HTML: every block and element the bot uses, drawn like Slack's client.
// Interactive elements carry data-* attributes; app.js listens for them on the page and turns
// a click or a choice into the same request Slack would send.
import { escapeHtml as esc, link, mrkdwn, plain, richText, textObject } from "./mrkdwn.js";

const MULTI = new Set([
  "multi_static_select", "multi_external_select", "multi_users_select",
  "multi_conversations_select", "multi_channels_select",
]);
const TEXT_INPUTS = new Set([
  "plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input",
]);
const STATE_KEYS = {
  plain_text_input: "value", email_text_input: "value", url_text_input: "value",
  number_input: "value", static_select: "selected_option", external_select: "selected_option",
  radio_buttons: "selected_option", checkboxes: "selected_options",
  multi_static_select: "selected_options", multi_external_select: "selected_options",
  users_select: "selected_user", multi_users_select: "selected_users",
  conversations_select: "selected_conversation",
  multi_conversations_select: "selected_conversations", channels_select: "selected_channel",
  multi_channels_select: "selected_channels", datepicker: "selected_date",
  timepicker: "selected_time", datetimepicker: "selected_date_time",
  rich_text_input: "rich_text_value",
};
const INITIAL_KEYS = {
  users_select: "initial_user", multi_users_select: "initial_users",
  conversations_select: "initial_conversation",
  multi_conversations_select: "initial_conversations", channels_select: "initial_channel",
  multi_channels_select: "initial_channels", datepicker: "initial_date",
  timepicker: "initial_time", datetimepicker: "initial_date_time",
  static_select: "initial_option", external_select: "initial_option",
  radio_buttons: "initial_option", checkboxes: "initial_options",
  multi_static_select: "initial_options", multi_external_select: "initial_options",
};

export const isMulti = (type) => MULTI.has(type);

// A stored value (state entry or initial_*) as the plain value the widgets use:
// a string, a list of strings, or null.
function plainValue(type, raw) {
  if (raw === undefined || raw === null) return MULTI.has(type) || type === "checkboxes" ? [] : null;
  if (Array.isArray(raw)) return raw.map((r) => (typeof r === "object" ? r.value : r));
  if (typeof raw === "object" && "value" in raw) return raw.value;
  if (typeof raw === "object" && raw.type === "rich_text") {
    return (raw.elements || []).flatMap((s) => (s.elements || []).map((e) => e.text || "")).join("");
  }
  return String(raw);
}

export function startValue(el, stateValues, blockId) {
  const entry = stateValues?.[blockId]?.[el.action_id];
  if (entry && STATE_KEYS[el.type] in entry) return plainValue(el.type, entry[STATE_KEYS[el.type]]);
  if (TEXT_INPUTS.has(el.type)) return el.initial_value ?? null;
  return plainValue(el.type, el[INITIAL_KEYS[el.type]]);
}

function attrs(el, block) {
  return `data-action-id="${esc(el.action_id || "")}" data-block-id="${esc(block.block_id || "")}" ` +
    `data-kind="${esc(el.type)}" data-el="${esc(JSON.stringify(el))}"`;
}

function optionList(el) {
  const flat = (opts) => (opts || []).map((o) => ({ value: o.value, text: o.text?.text ?? o.value,
    description: o.description?.text }));
  if (el.option_groups) {
    return el.option_groups.map((g) => ({ label: g.label?.text ?? "", options: flat(g.options) }));
  }
  return [{ label: null, options: flat(el.options) }];
}

// What a select of this kind offers: options, people or channels.
export function choices(el, ctx) {
  const kind = el.type.replace(/^multi_/, "");
  if (kind === "users_select") {
    return [{ label: null, options: ctx.people
      .filter((p) => !p.is_bot)
      .map((p) => ({ value: p.id, text: p.name, description: p.title })) }];
  }
  if (kind === "conversations_select" || kind === "channels_select") {
    return [{ label: null, options: ctx.channels.map((c) => ({ value: c.id,
      text: `${c.is_private ? "🔒" : "#"} ${c.name}` })) }];
  }
  return optionList(el);
}

export function choiceText(el, ctx, value) {
  for (const group of choices(el, ctx)) {
    const found = group.options.find((o) => o.value === value);
    if (found) return found.text;
  }
  return value;
}

function placeholder(el, fallback) {
  return esc(el.placeholder?.text ?? fallback);
}

function selectHtml(el, block, ctx, value) {
  const groups = choices(el, ctx);
  const options = (opts) => opts.map((o) => `<option value="${esc(o.value)}"` +
    `${o.value === value ? " selected" : ""}>${esc(o.text)}</option>`).join("");
  const body = groups.map((g) => (g.label === null ? options(g.options)
    : `<optgroup label="${esc(g.label)}">${options(g.options)}</optgroup>`)).join("");
  return `<select class="el-select" ${attrs(el, block)}>` +
    `<option value=""${value ? "" : " selected"}>${placeholder(el, "Kies een optie")}</option>` +
    `${body}</select>`;
}

export function multiHtml(el, block, ctx, values) {
  const chosen = values || [];
  const chips = chosen.map((v) => `<span class="chip" data-value="${esc(v)}">` +
    `${esc(choiceText(el, ctx, v))}<button type="button" class="chip-x" ` +
    `aria-label="Verwijder ${esc(choiceText(el, ctx, v))}">×</button></span>`).join("");
  const rest = choices(el, ctx).flatMap((g) => g.options).filter((o) => !chosen.includes(o.value));
  const adder = `<select class="multi-add" aria-label="${placeholder(el, "Voeg toe")}">` +
    `<option value="">${placeholder(el, "Voeg toe…")}</option>` +
    rest.map((o) => `<option value="${esc(o.value)}">${esc(o.text)}</option>`).join("") +
    "</select>";
  return `<div class="el-multi" ${attrs(el, block)} data-values="${esc(JSON.stringify(chosen))}">` +
    `<div class="chips">${chips}</div>${adder}</div>`;
}

function optionLabel(o, ctx) {
  const desc = o.description ? `<span class="option-desc">${textObject(o.description, ctx)}</span>` : "";
  return `<span class="option-text">${textObject(o.text, ctx)}</span>${desc}`;
}

function choiceListHtml(el, block, ctx, value, kind) {
  const name = `${block.block_id}/${el.action_id}/${Math.random().toString(36).slice(2, 8)}`;
  const chosen = kind === "checkbox" ? value || [] : [value];
  const items = (el.options || []).map((o) => `<label class="choice">` +
    `<input type="${kind}" name="${esc(name)}" value="${esc(o.value)}"` +
    `${chosen.includes(o.value) ? " checked" : ""}> ${optionLabel(o, ctx)}</label>`).join("");
  return `<div class="el-choices" ${attrs(el, block)}>${items}</div>`;
}

function localImage(url) {
  if (!url) return null;
  if (url.startsWith("data:image/")) return url;
  try {
    const parsed = new URL(url, location.href);
    if (parsed.origin !== location.origin) return null;
    const file = parsed.pathname.match(/^\/files\/([^/]+)\//);
    return file ? `/ui/files/${file[1]}` : parsed.pathname + parsed.search;
  } catch {
    return null;
  }
}

function imageSrc(el) {
  if (el.slack_file?.id) return `/ui/files/${encodeURIComponent(el.slack_file.id)}`;
  return localImage(el.image_url || el.slack_file?.url);
}

export function imageHtml(el, cls) {
  const src = imageSrc(el);
  const alt = esc(el.alt_text || "");
  if (src) return `<img class="${cls}" src="${esc(src)}" alt="${alt}">`;
  // An image from outside would be fetched from the internet: in the training sandbox nothing
  // leaves the machine, so it is named instead of loaded.
  return `<span class="${cls} img-outside" title="${esc(el.image_url || "")}">` +
    `🖼 ${alt || "afbeelding"}<small> (van buiten, niet geladen)</small></span>`;
}

function buttonHtml(el, block) {
  const style = el.style ? ` btn-${esc(el.style)}` : "";
  return `<button type="button" class="btn${style}" ${attrs(el, block)}` +
    ` data-value="${esc(el.value ?? "")}">${esc(el.text?.text ?? "")}</button>`;
}

function dateTimeValue(value) {
  if (!value) return "";
  const d = new Date(Number(value) * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function elementHtml(el, block, ctx, value) {
  switch (el.type) {
    case "button":
    case "workflow_button":
      return buttonHtml(el, block);
    case "static_select":
    case "external_select":
    case "users_select":
    case "conversations_select":
    case "channels_select":
      return selectHtml(el, block, ctx, value);
    case "multi_static_select":
    case "multi_external_select":
    case "multi_users_select":
    case "multi_conversations_select":
    case "multi_channels_select":
      return multiHtml(el, block, ctx, value);
    case "overflow":
      return `<select class="el-overflow" ${attrs(el, block)} aria-label="Meer acties">` +
        `<option value="">⋯</option>${(el.options || []).map((o) =>
          `<option value="${esc(o.value)}">${esc(o.text?.text ?? o.value)}</option>`).join("")}</select>`;
    case "checkboxes":
      return choiceListHtml(el, block, ctx, value, "checkbox");
    case "radio_buttons":
      return choiceListHtml(el, block, ctx, value, "radio");
    case "datepicker":
      return `<input type="date" class="el-input" ${attrs(el, block)} value="${esc(value ?? "")}">`;
    case "timepicker":
      return `<input type="time" class="el-input" ${attrs(el, block)} value="${esc(value ?? "")}">`;
    case "datetimepicker":
      return `<input type="datetime-local" class="el-input" ${attrs(el, block)} ` +
        `value="${esc(dateTimeValue(value))}">`;
    case "plain_text_input":
    case "rich_text_input": {
      const max = el.max_length ? ` maxlength="${Number(el.max_length)}"` : "";
      const ph = el.placeholder ? ` placeholder="${esc(el.placeholder.text)}"` : "";
      if (el.multiline || el.type === "rich_text_input") {
        return `<textarea class="el-input" rows="4" ${attrs(el, block)}${max}${ph}>${esc(value ?? "")}</textarea>`;
      }
      return `<input type="text" class="el-input" ${attrs(el, block)}${max}${ph} value="${esc(value ?? "")}">`;
    }
    case "number_input": {
      const bounds = ["min_value", "max_value"].map((k) =>
        (el[k] !== undefined ? ` ${k.slice(0, 3)}="${esc(el[k])}"` : "")).join("");
      const step = el.is_decimal_allowed ? "any" : "1";
      return `<input type="number" class="el-input" step="${step}" ${attrs(el, block)}${bounds} value="${esc(value ?? "")}">`;
    }
    case "email_text_input":
    case "url_text_input":
      return `<input type="${el.type === "email_text_input" ? "email" : "url"}" class="el-input" ` +
        `${attrs(el, block)} value="${esc(value ?? "")}">`;
    case "image":
      return imageHtml(el, "accessory-image");
    case "file_input":
      return `<div class="b-unknown">Bestanden kiezen kan niet in de oefenomgeving.</div>`;
    default:
      return `<span class="b-unknown">[${esc(el.type)}]</span>`;
  }
}

function fileCard(file) {
  const href = `/ui/files/${encodeURIComponent(file.id)}`;
  return `<a class="b-file" href="${esc(href)}" target="_blank" rel="noopener">📄 ` +
    `<span>${esc(file.title || file.name || file.id)}</span></a>`;
}

function blockHtml(block, ctx, surface) {
  const value = (el) => surface.valueOf(el, block);
  switch (block.type) {
    case "section": {
      const text = block.text ? `<div class="b-text">${textObject(block.text, ctx)}</div>` : "";
      const fields = block.fields ? `<div class="b-fields">${block.fields.map((f) =>
        `<div class="b-field">${textObject(f, ctx)}</div>`).join("")}</div>` : "";
      const acc = block.accessory
        ? `<div class="b-accessory">${elementHtml(block.accessory, block, ctx, value(block.accessory))}</div>` : "";
      return `<div class="b-section" data-block-id="${esc(block.block_id || "")}">` +
        `<div class="b-section-body">${text}${fields}</div>${acc}</div>`;
    }
    case "header":
      return `<div class="b-header">${textObject(block.text, ctx)}</div>`;
    case "divider":
      return `<hr class="b-divider">`;
    case "context":
      return `<div class="b-context">${(block.elements || []).map((e) => (e.type === "image"
        ? imageHtml(e, "context-image") : `<span>${textObject(e, ctx)}</span>`)).join("")}</div>`;
    case "actions":
      return `<div class="b-actions" data-block-id="${esc(block.block_id || "")}">` +
        `${(block.elements || []).map((e) => elementHtml(e, block, ctx, value(e))).join("")}</div>`;
    case "input": {
      const el = block.element;
      const optional = block.optional ? ` <span class="optional">(optioneel)</span>` : "";
      const hint = block.hint ? `<div class="hint">${textObject(block.hint, ctx)}</div>` : "";
      return `<div class="b-input" data-block-id="${esc(block.block_id || "")}"` +
        ` data-optional="${block.optional ? "1" : ""}" data-dispatch="${block.dispatch_action ? "1" : ""}">` +
        `<label class="label">${textObject(block.label, ctx)}${optional}</label>` +
        `${elementHtml(el, block, ctx, value(el))}${hint}<div class="field-error" role="alert"></div></div>`;
    }
    case "image": {
      const title = block.title ? `<figcaption>${textObject(block.title, ctx)}</figcaption>` : "";
      return `<figure class="b-image">${title}${imageHtml(block, "block-image")}</figure>`;
    }
    case "rich_text":
      return `<div class="b-rich">${richText(block, ctx)}</div>`;
    case "file":
      return `<div class="b-file">📄 ${esc(block.external_id || block.file_id || "bestand")}</div>`;
    case "video":
      return `<div class="b-file">🎬 ${link(block.title_url || block.video_url, block.title?.text)}</div>`;
    case "markdown":
      return `<div class="b-text">${plain(block.text)}</div>`;
    default:
      return `<div class="b-unknown">[blok ${esc(block.type)} wordt hier niet getoond]</div>`;
  }
}

// `surface` tells what the blocks belong to ({message: [channel, ts]} or {view: id}) and
// supplies the start value of each stateful element.
export function blocksHtml(blocks, ctx, surface) {
  return (blocks || []).map((b) => blockHtml(b, ctx, surface)).join("");
}

export function messageBodyHtml(message, ctx, surface) {
  const body = message.blocks?.length ? blocksHtml(message.blocks, ctx, surface)
    : `<div class="b-text">${mrkdwn(message.text, ctx)}</div>`;
  const files = (message.files || []).map(fileCard).join("");
  const attachments = (message.attachments || []).map((a) =>
    `<div class="attachment">` +
    `${a.title ? `<b>${esc(a.title)}</b><br>` : ""}${mrkdwn(a.text || a.fallback || "", ctx)}` +
    `${a.blocks ? blocksHtml(a.blocks, ctx, surface) : ""}</div>`).join("");
  return body + files + attachments;
}
