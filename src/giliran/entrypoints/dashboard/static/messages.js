// One message of a conversation as the desk sees it: who and when, its text with the chat
// apps' formatting, what its kind holds (photos that open full size, files, voice, places),
// its earlier versions when the customer edited it, the reactions it received, its delivery
// ticks, and a plain marker for anything the page cannot show. Everything is built as DOM
// nodes from text, never as HTML, so nothing a customer writes can become markup.

import { $, dateTime, errorText, t } from "./common.js";

const TICKS = {
  queued: ["🕓", t("conversation.state_queued")],
  sent: ["✓", t("conversation.state_sent")],
  delivered: ["✓✓", t("conversation.state_delivered")],
  read: ["✓✓", t("conversation.state_read")],
  failed: ["⚠", t("conversation.state_failed")],
};

// WhatsApp's and Telegram's own marks: *bold*, _italic_, ~strike~, ```mono``` and `mono`. A
// mark counts only hugging a word at both ends, as the apps read it ("2 * 3 * 4" stays).
const MARKS = /```([\s\S]+?)```|`([^`\n]+)`|(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])|(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g;
const TAGS = ["code", "code", "strong", "em", "s"];

/** `text` as nodes with its formatting: the marks become elements, the rest stays text. */
export function formatted(text) {
  const out = [];
  let at = 0;
  for (const match of text.matchAll(MARKS)) {
    if (match.index > at) out.push(document.createTextNode(text.slice(at, match.index)));
    const group = match.slice(1).findIndex((g) => g !== undefined);
    const el = document.createElement(TAGS[group]);
    if (group <= 1) el.textContent = match[group + 1];
    else el.append(...formatted(match[group + 1]));  // *_both_* nests
    out.push(el);
    at = match.index + match[0].length;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

/** The reactions each message received, by the message's channel id: a reaction names the
 * message it reacts to by the channel's id, and only the newest per sender counts. */
export function reactionsByTarget(messages) {
  const latest = new Map();
  for (const m of messages) {
    if (m.kind !== "reaction" || !m.content?.message_id) continue;
    latest.set(`${m.content.message_id}|${m.sender}`, m);
  }
  const found = new Map();
  for (const m of latest.values()) {
    if (!m.content.emoji) continue;  // taken back
    const list = found.get(m.content.message_id) ?? [];
    list.push(m);
    found.set(m.content.message_id, list);
  }
  return found;
}

/** Builds message bubbles; `media(message)` fetches a message's file as an object URL. */
export class MessageView {
  constructor(media) {
    this.media = media;
  }

  bubble(m, reactions = []) {
    const li = document.createElement("li");
    li.className = `message ${m.direction}`;
    li.dataset.messageId = m.id;
    li.dataset.kind = m.kind;
    const head = document.createElement("p");
    head.className = "meta";
    const who = m.direction === "note" ? t("inbox.note_by", { name: m.sender }) : m.sender;
    head.textContent = `${who} · ${dateTime(m.at)}`;
    li.append(head, ...this.content(m));
    if (m.edited_at) li.append(edits(m));
    if (reactions.length) li.append(reactionLine(reactions));
    if (m.direction === "out" && m.state) li.append(ticks(m));
    return li;
  }

  content(m) {
    const c = m.content ?? {};
    const out = [];
    const line = (text, cls) => {
      const p = document.createElement("p");
      if (cls) p.className = cls;
      p.textContent = text;
      out.push(p);
      return p;
    };
    if (m.has_media) out.push(this.preview(m));
    switch (m.kind) {
      case "location": {
        const p = line("", "place");
        const name = document.createElement("strong");
        name.textContent = c.name || t("conversation.location");
        p.append(name);
        if (c.address) p.append(document.createElement("br"), c.address);
        const a = document.createElement("a");
        a.href = `https://www.openstreetmap.org/?mlat=${c.latitude}&mlon=${c.longitude}#map=17/${c.latitude}/${c.longitude}`;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        a.textContent = `📍 ${c.latitude}, ${c.longitude}`;
        p.append(document.createElement("br"), a);
        break;
      }
      case "contacts":
        for (const person of c.contacts ?? []) {
          line(`👤 ${[person.name, ...(person.phones ?? []), ...(person.emails ?? [])]
            .filter(Boolean).join(" · ")}`);
        }
        break;
      case "choice":
        line(t("conversation.chose", { choice: c.title ?? c.id ?? "" }), "choice");
        break;
      case "reaction":
        line(c.emoji ? t("conversation.reacted", { emoji: c.emoji })
                     : t("conversation.reaction_removed"), "hint");
        return out;
      case "system":
        line(m.body, "hint");
        return out;
      case "template":
        line(t("conversation.template", { name: c.template ?? "" }), "hint");
        return out;
      case "unknown":
        line(t("conversation.unsupported", { type: c.type ?? "?" }), "unshown");
        break;
      default:
        break;
    }
    if (m.body) {
      const p = line("", "body");
      p.append(...formatted(m.body));
    }
    return out;
  }

  preview(m) {
    const c = m.content ?? {};
    const mime = c.mime_type ?? "";
    const box = document.createElement("div");
    box.className = "media";
    const picture = ["image", "sticker"].includes(m.kind) || mime.startsWith("image/");
    const moving = ["video", "animation"].includes(m.kind);
    const sound = ["audio", "voice"].includes(m.kind) || mime.startsWith("audio/");
    if (picture || moving || sound) {
      const el = document.createElement(picture ? "img" : moving ? "video" : "audio");
      if (picture) {
        el.alt = m.body || t("conversation.photo");
        el.tabIndex = 0;
        el.setAttribute("role", "button");
        el.title = t("inbox.photo_full");
        const show = () => { if (el.src) openLightbox(el.src, el.alt); };
        el.addEventListener("click", show);
        el.addEventListener("keydown", (e) => { if (e.key === "Enter") show(); });
      } else {
        el.controls = true;
      }
      box.append(el);
      this.media(m).then((src) => { el.src = src; })
        .catch((error) => box.replaceChildren(unshown(errorText(error))));
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quiet";
      const size = c.size ? ` (${Math.max(1, Math.round(c.size / 1024))} KB)` : "";
      button.textContent = `📄 ${c.file_name ?? t("conversation.download")}${size}`;
      button.addEventListener("click", async () => {
        try {
          const a = document.createElement("a");
          a.href = await this.media(m);
          a.download = c.file_name ?? `${m.kind}-${m.id}`;
          a.click();
        } catch (error) {
          box.append(unshown(errorText(error)));
        }
      });
      box.append(button);
    }
    return box;
  }
}

/** "edited", opening onto every earlier text with when it was written. */
function edits(m) {
  const box = document.createElement("details");
  box.className = "edits";
  const summary = document.createElement("summary");
  summary.textContent = t("conversation.edited");
  const list = document.createElement("ol");
  for (const earlier of m.content?.edits ?? []) {
    const li = document.createElement("li");
    const when = document.createElement("span");
    when.className = "meta";
    when.textContent = `${dateTime(earlier.at)}: `;
    li.append(when, ...formatted(earlier.body ?? ""));
    list.append(li);
  }
  box.append(summary, list);
  return box;
}

function reactionLine(reactions) {
  const p = document.createElement("p");
  p.className = "reactions";
  for (const r of reactions) {
    const span = document.createElement("span");
    span.className = "reaction";
    span.textContent = r.content.emoji;
    span.title = r.sender;
    span.setAttribute("aria-label", t("inbox.reaction_by", { emoji: r.content.emoji, name: r.sender }));
    p.append(span);
  }
  return p;
}

function ticks(m) {
  const [mark, label] = TICKS[m.state] ?? ["", m.state];
  const span = document.createElement("span");
  span.className = "ticks";
  span.dataset.state = m.state;
  span.textContent = mark;
  span.title = m.error ? `${label}: ${m.error}` : label;
  span.setAttribute("aria-label", span.title);
  const p = document.createElement("p");
  p.className = "state";
  p.append(span);
  if (m.state === "failed") {
    const why = document.createElement("span");
    why.className = "error";
    why.textContent = ` ${label}${m.error ? `: ${m.error}` : ""}`;
    p.append(why);
    const actions = document.createElement("span");
    actions.className = "failed-actions";
    actions.dataset.field = "failed-actions";
    p.append(actions);
  }
  return p;
}

/** What could not be shown says so plainly, with the reason. */
function unshown(reason) {
  const p = document.createElement("p");
  p.className = "unshown";
  p.textContent = t("inbox.unshown", { reason });
  return p;
}

/** A photo full size, closed with its Close button or Esc (a dialog does that itself). */
export function openLightbox(src, alt) {
  const box = $("lightbox");
  if (!box) return;
  $("lightbox-image").src = src;
  $("lightbox-image").alt = alt;
  box.showModal();
}
