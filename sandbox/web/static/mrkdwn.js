// Slack's mrkdwn and rich_text as HTML. Everything from the bot is escaped first; only the
// markup produced here becomes HTML, so a message can never inject script into the page.

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", warning: "⚠️", x: "❌", calendar: "📅",
  lock: "🔒", bell: "🔔", memo: "📝", clipboard: "📋", wave: "👋", tada: "🎉", eyes: "👀",
  thumbsup: "👍", "+1": "👍", information_source: "ℹ️", hourglass: "⏳", pushpin: "📌",
  speech_balloon: "💬", red_circle: "🔴", large_green_circle: "🟢", large_yellow_circle: "🟡",
};

export function escapeHtml(text) {
  return String(text ?? "")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// Slack sends &, < and > escaped in text; undo that before escaping for HTML once.
function unslack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

export function link(url, label) {
  const safe = safeUrl(url);
  if (!safe) return escapeHtml(label || url);
  return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">` +
    `${escapeHtml(label || url)}</a>`;
}

export function emoji(name) {
  return EMOJI[name] ?? `:${name}:`;
}

// One <...> construct: a mention, a channel, a special, a date or a link.
function construct(inner, ctx) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = ctx.userName(id) ?? label ?? id;
    return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return `<span class="mention">#${escapeHtml(ctx.channelName(id) ?? label ?? id)}</span>`;
  }
  if (target.startsWith("!")) {
    if (target.startsWith("!date")) return escapeHtml(label ?? "");
    return `<span class="mention">@${escapeHtml(target.slice(1).split("^")[0])}</span>`;
  }
  return link(unslack(target), label ? unslack(label) : null);
}

export function mrkdwn(text, ctx) {
  const kept = [];
  const keep = (html) => `\u0000${kept.push(html) - 1}\u0000`;
  let out = String(text ?? "");
  // Code first: nothing inside it is formatted.
  out = out.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre>${escapeHtml(unslack(code))}</pre>`));
  out = out.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${escapeHtml(unslack(code))}</code>`));
  out = out.replace(/<([^<>\n]+)>/g, (_, inner) => keep(construct(inner, ctx)));
  out = escapeHtml(unslack(out));
  out = out.replace(/(^|[\s(~_>])\*([^*\n]+?)\*(?=$|[\s).,!?:;~_<\u0000])/gm, "$1<b>$2</b>");
  out = out.replace(/(^|[\s(~*>])_([^_\n]+?)_(?=$|[\s).,!?:;~*<\u0000])/gm, "$1<i>$2</i>");
  out = out.replace(/(^|[\s(*_>])~([^~\n]+?)~(?=$|[\s).,!?:;*_<\u0000])/gm, "$1<s>$2</s>");
  out = out.replace(/:([a-z0-9_+-]+):/g, (whole, name) => (EMOJI[name] ? EMOJI[name] : whole));
  out = out.split("\n").map((line) =>
    line.startsWith("&gt; ") ? `<span class="quote">${line.slice(5)}</span>` : line).join("\n");
  out = out.replace(/\n/g, "<br>");
  return out.replace(/\u0000(\d+)\u0000/g, (_, i) => kept[Number(i)]);
}

export function plain(text) {
  return escapeHtml(text ?? "").replace(/\n/g, "<br>");
}

// A text object: plain_text or mrkdwn.
export function textObject(obj, ctx) {
  if (!obj) return "";
  if (typeof obj === "string") return plain(obj);
  const html = obj.type === "mrkdwn" ? mrkdwn(obj.text, ctx) : plain(obj.text);
  return obj.emoji === false ? html : html.replace(/:([a-z0-9_+-]+):/g,
    (whole, name) => (EMOJI[name] ? EMOJI[name] : whole));
}

function richInline(el, ctx) {
  const style = el.style || {};
  let html;
  switch (el.type) {
    case "text": html = plain(el.text); break;
    case "link": html = link(el.url, el.text); break;
    case "user": html = construct(`@${el.user_id}`, ctx); break;
    case "channel": html = construct(`#${el.channel_id}`, ctx); break;
    case "emoji": html = el.unicode ? escapeHtml(String.fromCodePoint(
      ...el.unicode.split("-").map((h) => parseInt(h, 16)))) : emoji(el.name); break;
    case "broadcast": html = `<span class="mention">@${escapeHtml(el.range)}</span>`; break;
    default: html = plain(el.text ?? "");
  }
  if (style.code) html = `<code>${html}</code>`;
  if (style.bold) html = `<b>${html}</b>`;
  if (style.italic) html = `<i>${html}</i>`;
  if (style.strike) html = `<s>${html}</s>`;
  return html;
}

export function richText(block, ctx) {
  const part = (el) => {
    const inline = () => (el.elements || []).map((e) => richInline(e, ctx)).join("");
    switch (el.type) {
      case "rich_text_section": return `<div>${inline()}</div>`;
      case "rich_text_preformatted": return `<pre>${inline()}</pre>`;
      case "rich_text_quote": return `<blockquote>${inline()}</blockquote>`;
      case "rich_text_list": {
        const tag = el.style === "ordered" ? "ol" : "ul";
        return `<${tag}>${(el.elements || []).map((item) =>
          `<li>${(item.elements || []).map((e) => richInline(e, ctx)).join("")}</li>`).join("")}</${tag}>`;
      }
      default: return inline();
    }
  };
  return (block.elements || []).map(part).join("");
}

// ----- canvases: Markdown (not Slack's mrkdwn) -----

// One line of canvas Markdown: code, mentions (![](@U…) and ![](#C…)), links, then
// **bold**, *italic* / _italic_, ~~strike~~ and :emoji:. Escaped first, like mrkdwn().
function markdownInline(text, ctx) {
  const kept = [];
  const keep = (html) => `\u0000${kept.push(html) - 1}\u0000`;
  let out = String(text ?? "");
  out = out.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${escapeHtml(code)}</code>`));
  out = out.replace(/!\[[^\]]*\]\(([@#][A-Z0-9]+)\)/g, (_, target) => keep(construct(target, ctx)));
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, url) => keep(link(url, label)));
  out = out.replace(/<(https?:\/\/[^>\s]+)>/g, (_, url) => keep(link(url, null)));
  out = escapeHtml(out);
  out = out.replace(/\*\*([^*\n]+?)\*\*/g, "<b>$1</b>").replace(/__([^_\n]+?)__/g, "<b>$1</b>");
  out = out.replace(/(^|[^*\w])\*([^*\s](?:[^*\n]*?[^*\s])?)\*(?![*\w])/g, "$1<i>$2</i>");
  out = out.replace(/(^|[^_\w])_([^_\s](?:[^_\n]*?[^_\s])?)_(?![_\w])/g, "$1<i>$2</i>");
  out = out.replace(/~~([^~\n]+?)~~/g, "<s>$1</s>");
  out = out.replace(/:([a-z0-9_+-]+):/g, (whole, name) => (EMOJI[name] ? EMOJI[name] : whole));
  return out.replace(/\u0000(\d+)\u0000/g, (_, i) => kept[Number(i)]);
}

const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(?:\[([ xX])\]\s+)?(.*)$/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;

function listHtml(items, ctx) {
  let html = "";
  const open = []; // {indent, tag, kind}: the lists still open, innermost last
  for (const item of items) {
    const tag = item.ordered ? "ol" : "ul";
    const kind = `${tag}${item.check !== undefined ? "-check" : ""}`;
    while (open.length && item.indent < open[open.length - 1].indent) {
      html += `</li></${open.pop().tag}>`;
    }
    let top = open[open.length - 1];
    if (top && top.indent === item.indent && top.kind !== kind) {
      html += `</li></${open.pop().tag}>`; // another kind of list starts at this level
      top = open[open.length - 1];
    }
    if (!top || item.indent > top.indent) {
      html += `<${tag}${item.check !== undefined ? ' class="checklist"' : ""}>`;
      open.push({ indent: item.indent, tag, kind });
    } else {
      html += "</li>";
    }
    const box = item.check === undefined ? ""
      : `<input type="checkbox" disabled${item.check.trim() ? " checked" : ""}> `;
    html += `<li>${box}${markdownInline(item.text, ctx)}`;
  }
  while (open.length) html += `</li></${open.pop().tag}>`;
  return html;
}

function tableHtml(rows, ctx) {
  const cells = (row) => row.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const body = rows.filter((row, i) => !(i === 1 && /^[\s|:-]+$/.test(row)));
  const [head, ...rest] = body;
  const tr = (row, tag) => `<tr>${cells(row).map((c) => `<${tag}>${markdownInline(c, ctx)}</${tag}>`).join("")}</tr>`;
  return `<table><thead>${tr(head, "th")}</thead><tbody>${rest.map((r) => tr(r, "td")).join("")}</tbody></table>`;
}

// A canvas document: headings (h1–h3), paragraphs, bullet, numbered and check lists (nested by
// indentation), quotes, code blocks, tables and dividers.
export function markdown(text, ctx) {
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let i = 0;
  const take = (test) => {
    const taken = [];
    while (i < lines.length && test(lines[i])) taken.push(lines[i++]);
    return taken;
  };
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (/^\s*```/.test(line)) {
      i += 1;
      const code = take((l) => !/^\s*```/.test(l));
      i += 1;
      out.push(`<pre>${escapeHtml(code.join("\n"))}</pre>`);
    } else if ((m = line.match(/^(#{1,3})\s+(.*)$/))) {
      const level = m[1].length;
      out.push(`<h${level}>${markdownInline(m[2], ctx)}</h${level}>`);
      i += 1;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push("<hr>");
      i += 1;
    } else if (/^\s*>/.test(line)) {
      const quote = take((l) => /^\s*>/.test(l)).map((l) => markdownInline(l.replace(/^\s*>\s?/, ""), ctx));
      out.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
    } else if (LIST_ITEM.test(line)) {
      const items = take((l) => LIST_ITEM.test(l)).map((l) => {
        const [, indent, marker, check, body] = l.match(LIST_ITEM);
        return { indent: indent.replace(/\t/g, "    ").length, ordered: /\d/.test(marker),
          check, text: body };
      });
      out.push(listHtml(items, ctx));
    } else if (TABLE_ROW.test(line)) {
      out.push(tableHtml(take((l) => TABLE_ROW.test(l)), ctx));
    } else if (!line.trim()) {
      i += 1;
    } else {
      const para = take((l) => l.trim() && !/^(#{1,3}\s|\s*>|\s*```)/.test(l) && !LIST_ITEM.test(l) &&
        !TABLE_ROW.test(l));
      if (!para.length) para.push(lines[i++]); // never stall on a line no rule takes
      out.push(`<p>${para.map((l) => markdownInline(l, ctx)).join("<br>")}</p>`);
    }
  }
  return out.join("");
}
