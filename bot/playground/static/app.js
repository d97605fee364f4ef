// Shelly's playground page. Plain JS, no build step. Everything Shelly says arrives from the real bot
// through the local Bot API emulator (server-sent events at /api/events); this page only draws it.
"use strict";

const STRINGS = {
  en: {
    tagline: "your supporting shellfish",
    typing: "Shelly is typing…",
    uploading: "Shelly is sending a photo…",
    welcomeTitle: "Hi, I'm Shelly!",
    welcomeText: "Send me a photo with faces in it. I'll read each face's mood and share a kind word for everyone in it.",
    welcomeNote: "This is a local playground: the real bot talks to a pretend Telegram on your computer. Nothing leaves this machine.",
    captionPlaceholder: "Add a caption…",
    textPlaceholder: "Write a message or /command…",
    cancel: "Cancel",
    sendPhoto: "Send photo",
    send: "Send",
    attach: "Choose a photo",
    drop: "Drop your photo here 🌊",
    close: "Close",
    language: "Language",
    tooBig: "That photo is too big for Shelly (max {mb} MB).",
    notImage: "That doesn't look like a picture. Try a JPEG or PNG photo.",
    offline: "Lost the connection to Shelly — reconnecting…",
    failed: "Couldn't send that: {why}",
    file: "File",
    edited: "edited",
  },
  de: {
    tagline: "deine unterstützende Muschel",
    typing: "Shelly schreibt…",
    uploading: "Shelly schickt ein Foto…",
    welcomeTitle: "Hallo, ich bin Shelly!",
    welcomeText: "Schick mir ein Foto mit Gesichtern. Ich lese die Stimmung jedes Gesichts und habe für alle ein freundliches Wort.",
    welcomeNote: "Das ist ein lokaler Spielplatz: Der echte Bot spricht mit einem nachgebauten Telegram auf deinem Rechner. Nichts verlässt dieses Gerät.",
    captionPlaceholder: "Bildunterschrift hinzufügen…",
    textPlaceholder: "Nachricht oder /Befehl schreiben…",
    cancel: "Abbrechen",
    sendPhoto: "Foto senden",
    send: "Senden",
    attach: "Foto auswählen",
    drop: "Foto hier ablegen 🌊",
    close: "Schließen",
    language: "Sprache",
    tooBig: "Das Foto ist zu groß für Shelly (höchstens {mb} MB).",
    notImage: "Das sieht nicht nach einem Bild aus. Versuch es mit einem JPEG- oder PNG-Foto.",
    offline: "Verbindung zu Shelly verloren – verbinde neu…",
    failed: "Konnte das nicht senden: {why}",
    file: "Datei",
    edited: "bearbeitet",
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  lang: detectLanguage(),
  messages: new Map(), // message id -> public message
  maxBytes: 20 * 1024 * 1024,
  pendingFile: null,
  typingTimer: null,
};

function detectLanguage() {
  const saved = localStorage.getItem("shelly.lang");
  if (saved === "en" || saved === "de") return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  return langs.some((l) => String(l).toLowerCase().startsWith("de")) ? "de" : "en";
}

function t(key, vars) {
  let s = (STRINGS[state.lang] || STRINGS.en)[key] || STRINGS.en[key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
  return s;
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  document.querySelectorAll("[data-i18n-aria]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nAria)); });
  document.querySelectorAll(".lang-btn").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang)));
  document.querySelectorAll(".msg .meta .edited").forEach((el) => { el.textContent = t("edited"); });
}

// ---------------------------------------------------------------- talking to the server
async function api(path, body) {
  const init = body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const resp = await fetch(path, init);
  if (!resp.ok) throw new Error((await resp.text()) || resp.statusText);
  return resp.json();
}

async function loadState() {
  const resp = await fetch(`/api/state?lang=${encodeURIComponent(state.lang)}`);
  const data = await resp.json();
  state.maxBytes = data.max_bytes || state.maxBytes;
  for (const m of data.messages) upsert(m);
  renderCommands(data.commands || []);
  scrollDown(false);
}

function connectFeed() {
  const feed = new EventSource("/api/events");
  feed.onmessage = (ev) => {
    let event;
    try { event = JSON.parse(ev.data); } catch { return; }
    handleEvent(event);
  };
  feed.onerror = () => { if (feed.readyState !== EventSource.OPEN) showToast(t("offline"), 2000); };
  feed.onopen = () => { if (state.messages.size) loadState(); };
}

function handleEvent(event) {
  switch (event.type) {
    case "message":
    case "user_message":
    case "edited":
      if (event.message.from === "bot" && event.type === "message") stopTyping();
      upsert(event.message);
      scrollDown(true);
      break;
    case "deleted": {
      state.messages.delete(event.message_id);
      const el = document.querySelector(`.msg[data-id="${event.message_id}"]`);
      if (el) el.remove();
      break;
    }
    case "chat_action":
      startTyping(event.action);
      break;
    case "callback_answer":
      if (event.text) showToast(event.text, event.show_alert ? 6000 : 3000);
      document.querySelectorAll(".kb button:disabled").forEach((b) => { b.disabled = false; });
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- drawing messages
function upsert(m) {
  state.messages.set(m.id, m);
  $("welcome").hidden = true;
  const list = $("messages");
  const el = renderMessage(m);
  const old = list.querySelector(`.msg[data-id="${m.id}"]`);
  if (old) { old.replaceWith(el); return; }
  // keep the list ordered by message id (ids are per chat and increase, like Telegram's)
  const after = [...list.children].find((li) => Number(li.dataset.id) > m.id);
  list.insertBefore(el, after || null);
}

function renderMessage(m) {
  const li = document.createElement("li");
  li.className = `msg ${m.from}`;
  li.dataset.id = String(m.id);
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (m.photo) {
    const img = document.createElement("img");
    img.className = "photo";
    img.src = `/api/file/${encodeURIComponent(m.photo.file_id)}`;
    img.alt = m.caption || (m.from === "bot" ? "Shelly's picture" : "your photo");
    if (m.photo.width && m.photo.height) { img.width = m.photo.width; img.height = m.photo.height; }
    img.addEventListener("click", () => openLightbox(img.src));
    bubble.append(img);
  }
  if (m.document) {
    const doc = document.createElement("div");
    doc.className = "doc";
    const link = document.createElement("a");
    link.href = `/api/file/${encodeURIComponent(m.document.file_id)}`;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = `📎 ${m.document.file_name || t("file")}`;
    doc.append(link);
    bubble.append(doc);
  }
  const text = m.text || m.caption;
  if (text) {
    const body = document.createElement("div");
    body.className = "body";
    body.append(renderRich(text, m.entities || m.caption_entities));
    bubble.append(body);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const when = m.date ? new Date(m.date * 1000) : new Date();
  meta.textContent = when.toLocaleTimeString(state.lang, { hour: "2-digit", minute: "2-digit" });
  if (m.edited) {
    const ed = document.createElement("span");
    ed.className = "edited";
    ed.textContent = t("edited");
    meta.prepend(ed, " · ");
  }
  bubble.append(meta);
  li.append(bubble);
  if (m.buttons && m.buttons.length) li.append(renderKeyboard(m));
  return li;
}

function renderKeyboard(m) {
  const kb = document.createElement("div");
  kb.className = "kb";
  for (const row of m.buttons) {
    const r = document.createElement("div");
    r.className = "row";
    for (const b of row) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.text;
      if (b.url) {
        btn.addEventListener("click", () => window.open(b.url, "_blank", "noopener"));
      } else if (b.callback_data !== undefined) {
        btn.dataset.callback = b.callback_data;
        btn.addEventListener("click", async () => {
          btn.disabled = true;
          try {
            await api("/api/button", { message_id: m.id, data: b.callback_data, lang: state.lang });
          } catch (err) {
            showToast(t("failed", { why: err.message }), 4000);
          } finally {
            setTimeout(() => { btn.disabled = false; }, 1500);
          }
        });
      }
      r.append(btn);
    }
    kb.append(r);
  }
  return kb;
}

// Telegram formatting: entities when the message carries them, else the Telegram-HTML subset
// (the emulator stores text as the bot sent it). Everything else is shown as plain text.
const HTML_TAGS = /<\/?(b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|span|blockquote)\b[^>]*>|&(amp|lt|gt|quot|#\d+);/i;

function renderRich(text, entities) {
  if (entities && entities.length) return renderEntities(text, entities);
  if (HTML_TAGS.test(text)) return renderHtml(text);
  return renderPlain(text);
}

function renderPlain(text) {
  const frag = document.createDocumentFragment();
  // bot commands are tappable, as in Telegram
  const re = /(^|\s)(\/[a-zA-Z0-9_]{1,32})(?=$|\s|[.,!?;:)])/g;
  let last = 0;
  for (const match of text.matchAll(re)) {
    const start = match.index + match[1].length;
    frag.append(text.slice(last, start), commandLink(match[2]));
    last = start + match[2].length;
  }
  frag.append(text.slice(last));
  return frag;
}

function commandLink(cmd) {
  const span = document.createElement("span");
  span.className = "cmd";
  span.textContent = cmd;
  span.setAttribute("role", "button");
  span.tabIndex = 0;
  const go = () => sendText(cmd);
  span.addEventListener("click", go);
  span.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
  return span;
}

const SAFE_TAGS = { b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s", del: "s",
  code: "code", pre: "pre", blockquote: "blockquote", "tg-spoiler": "span", span: "span", a: "a" };

function renderHtml(text) {
  const doc = new DOMParser().parseFromString(`<body>${text}</body>`, "text/html");
  const frag = document.createDocumentFragment();
  const walk = (src, dst) => {
    for (const node of src.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) { dst.append(renderPlain(node.textContent)); continue; }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = SAFE_TAGS[node.tagName.toLowerCase()];
      if (!tag) { walk(node, dst); continue; }
      const el = document.createElement(tag);
      if (tag === "a") {
        const href = node.getAttribute("href") || "";
        if (/^(https?:|tg:)/i.test(href)) { el.href = href; el.target = "_blank"; el.rel = "noopener"; }
      }
      if (node.tagName.toLowerCase() === "tg-spoiler" || (tag === "span" && node.classList.contains("tg-spoiler"))) {
        el.className = "spoiler";
        el.addEventListener("click", () => el.classList.toggle("shown"));
      }
      walk(node, el);
      dst.append(el);
    }
  };
  walk(doc.body, frag);
  return frag;
}

function renderEntities(text, entities) {
  // offsets are in UTF-16 code units, which is what JS strings index by
  const frag = document.createDocumentFragment();
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  let pos = 0;
  for (const e of sorted) {
    if (e.offset < pos) continue; // nested entities: keep the outer one only
    frag.append(renderPlain(text.slice(pos, e.offset)));
    const part = text.slice(e.offset, e.offset + e.length);
    const map = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
      blockquote: "blockquote", expandable_blockquote: "blockquote", spoiler: "span", text_link: "a", url: "a" };
    if (e.type === "bot_command") {
      frag.append(commandLink(part));
    } else if (map[e.type]) {
      const el = document.createElement(map[e.type]);
      el.textContent = part;
      if (e.type === "spoiler") { el.className = "spoiler"; el.addEventListener("click", () => el.classList.toggle("shown")); }
      const href = e.type === "text_link" ? e.url : part;
      if (el.tagName === "A" && /^(https?:|tg:)/i.test(href || "")) { el.href = href; el.target = "_blank"; el.rel = "noopener"; }
      frag.append(el);
    } else {
      frag.append(part);
    }
    pos = e.offset + e.length;
  }
  frag.append(renderPlain(text.slice(pos)));
  return frag;
}

function renderCommands(commands) {
  const chips = $("chips");
  chips.replaceChildren();
  const list = commands.length ? commands : [{ command: "start", description: "" }, { command: "help", description: "" }];
  for (const c of list) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.textContent = `/${c.command}`;
    if (c.description) chip.title = c.description;
    chip.addEventListener("click", () => sendText(`/${c.command}`));
    chips.append(chip);
  }
}

// ---------------------------------------------------------------- typing, toast, lightbox
function startTyping(action) {
  $("typing-text").textContent = action === "upload_photo" ? t("uploading") : t("typing");
  $("typing").hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, 5000); // Telegram shows an action for 5 s
}
function stopTyping() { clearTimeout(state.typingTimer); $("typing").hidden = true; }

let toastTimer = null;
function showToast(text, ms) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms || 3000);
}

function openLightbox(src) {
  $("lightbox-img").src = src;
  $("lightbox").showModal();
}

function scrollDown(smooth) {
  const chat = $("chat");
  requestAnimationFrame(() => chat.scrollTo({ top: chat.scrollHeight, behavior: smooth ? "smooth" : "auto" }));
}

// ---------------------------------------------------------------- sending
async function sendText(text) {
  text = text.trim();
  if (!text) return;
  try {
    const { message } = await api("/api/text", { text, lang: state.lang });
    upsert(message);
    scrollDown(true);
  } catch (err) {
    showToast(t("failed", { why: err.message }), 4000);
  }
}

function choosePhoto(file) {
  if (!file) return;
  if (file.size > state.maxBytes) { showToast(t("tooBig", { mb: Math.round(state.maxBytes / 1048576) }), 4000); return; }
  if (file.type && !file.type.startsWith("image/") && !/\.(heic|heif)$/i.test(file.name)) { showToast(t("notImage"), 4000); return; }
  state.pendingFile = file;
  const img = $("preview-img");
  if (img.dataset.url) URL.revokeObjectURL(img.dataset.url);
  img.dataset.url = URL.createObjectURL(file);
  img.src = img.dataset.url;
  img.alt = file.name;
  $("preview-name").textContent = file.name;
  $("preview").hidden = false;
  $("caption").focus();
}

function clearPreview() {
  state.pendingFile = null;
  $("preview").hidden = true;
  $("caption").value = "";
  $("file").value = "";
}

async function sendPhoto() {
  const file = state.pendingFile;
  if (!file) return;
  const form = new FormData();
  form.append("photo", file, file.name || "photo.jpg");
  form.append("caption", $("caption").value);
  form.append("lang", state.lang);
  $("preview-send").disabled = true;
  try {
    const { message } = await api("/api/photo", form);
    clearPreview();
    upsert(message);
    scrollDown(true);
  } catch (err) {
    showToast(t("failed", { why: err.message }), 4000);
  } finally {
    $("preview-send").disabled = false;
  }
}

// ---------------------------------------------------------------- wiring
function wire() {
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    sendText(text);
  });
  $("file").addEventListener("change", (e) => choosePhoto(e.target.files[0]));
  $("preview-send").addEventListener("click", sendPhoto);
  $("preview-cancel").addEventListener("click", clearPreview);
  $("caption").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); sendPhoto(); } });
  document.querySelectorAll(".lang-btn").forEach((b) => b.addEventListener("click", async () => {
    state.lang = b.dataset.lang;
    localStorage.setItem("shelly.lang", state.lang);
    applyLanguage();
    const resp = await fetch(`/api/state?lang=${state.lang}`);
    renderCommands((await resp.json()).commands || []);
  }));
  // drag & drop and paste
  let depth = 0;
  window.addEventListener("dragenter", (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes("Files")) { depth++; $("drop").hidden = false; } });
  window.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) $("drop").hidden = true; });
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    $("drop").hidden = true;
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) choosePhoto(file);
  });
  window.addEventListener("paste", (e) => {
    const file = [...(e.clipboardData ? e.clipboardData.files : [])].find((f) => f.type.startsWith("image/"));
    if (file) choosePhoto(file);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  applyLanguage();
  wire();
  loadState().catch(() => showToast(t("offline"), 3000));
  connectFeed();
});
