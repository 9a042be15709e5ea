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
