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
    privateChat: "Shelly",
    groupChat: "Shelly's test group",
    youAre: "You are",
    you: "You",
    admin: "admin",
    botAdmin: "Shelly is an admin",
    groupStatus: "{names} and Shelly",
    privacyOn: "Privacy mode: Shelly sees commands and replies to her, not plain photos.",
    privacyAdmin: "Shelly is an admin: she sees every message and may delete her own.",
    groupWelcomeTitle: "A pretend group",
    groupWelcomeText: "Alex is the group's admin; Bea and Cy are members. Switch who you are above. Ask Shelly with /mood — as a photo's caption or as a reply to a photo (↩ on a message).",
    groupWelcomeNote: "Group /stats needs photos of at least three different people.",
    reply: "Reply",
    replyingTo: "Replying to {name}",
    photo: "Photo",
    shelly: "Shelly",
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
    privateChat: "Shelly",
    groupChat: "Shellys Testgruppe",
    youAre: "Du bist",
    you: "Du",
    admin: "Admin",
    botAdmin: "Shelly ist Admin",
    groupStatus: "{names} und Shelly",
    privacyOn: "Privatsphäre-Modus: Shelly sieht Befehle und Antworten an sie, keine einfachen Fotos.",
    privacyAdmin: "Shelly ist Admin: Sie sieht jede Nachricht und darf ihre eigenen löschen.",
    groupWelcomeTitle: "Eine nachgebaute Gruppe",
    groupWelcomeText: "Alex ist Admin der Gruppe, Bea und Cy sind Mitglieder. Oben wechselst du, wer du bist. Frag Shelly mit /mood – als Bildunterschrift oder als Antwort auf ein Foto (↩ an einer Nachricht).",
    groupWelcomeNote: "Die Gruppen-Statistik (/stats) braucht Fotos von mindestens drei verschiedenen Personen.",
    reply: "Antworten",
    replyingTo: "Antwort an {name}",
    photo: "Foto",
    shelly: "Shelly",
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  lang: detectLanguage(),
  chat: localStorage.getItem("shelly.chat") === "group" ? "group" : "private",
  as: localStorage.getItem("shelly.as") || "you", // who "you" are in the group
  members: [],
  group: { bot_admin: false, privacy_mode: true },
  unread: { private: 0, group: 0 },
  replyTo: null, // message id the next text answers
  messages: new Map(), // message id -> public message (of the open chat)
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
  renderChatHeader();
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

function stateUrl() {
  const q = new URLSearchParams({ lang: state.lang, chat: state.chat, as: state.as });
  return `/api/state?${q}`;
}

async function loadState() {
  const chat = state.chat;
  const resp = await fetch(stateUrl());
  const data = await resp.json();
  if (chat !== state.chat) return; // switched meanwhile
  state.maxBytes = data.max_bytes || state.maxBytes;
  state.members = data.members || [];
  state.group = data.group || state.group;
  if (!state.members.some((m) => m.key === state.as)) state.as = "you";
  for (const m of data.messages) upsert(m);
  renderCommands(data.commands || []);
  renderChatHeader();
  showWelcome();
  scrollDown(false);
}

async function refreshCommands() {
  const resp = await fetch(stateUrl());
  renderCommands((await resp.json()).commands || []);
}

// ---------------------------------------------------------------- chats and who you are
function switchChat(chat) {
  if (chat === state.chat) return;
  state.chat = chat;
  localStorage.setItem("shelly.chat", chat);
  state.unread[chat] = 0;
  state.messages.clear();
  $("messages").replaceChildren();
  setReplyTo(null);
  stopTyping();
  renderChatHeader();
  loadState().catch(() => showToast(t("offline"), 3000));
}

function memberName(member) {
  return member.key === "you" ? t("you") : member.name;
}

function renderChatHeader() {
  const group = state.chat === "group";
  document.querySelectorAll(".chat-tab").forEach((tab) => {
    const chat = tab.dataset.chat;
    tab.setAttribute("aria-selected", String(chat === state.chat));
    const badge = tab.querySelector(".badge");
    badge.hidden = !state.unread[chat];
    badge.textContent = String(state.unread[chat] || "");
  });
  $("title").textContent = group ? t("groupChat") : "Shelly";
  $("status").textContent = group
    ? t("groupStatus", { names: state.members.map(memberName).join(", ") })
    : t("tagline");
  $("groupbar").hidden = !group;
  $("app").classList.toggle("in-group", group);
  const box = $("members");
  box.replaceChildren();
  for (const m of state.members) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "member";
    b.dataset.member = m.key;
    b.setAttribute("role", "radio");
    b.setAttribute("aria-checked", String(m.key === state.as));
    b.append(memberName(m));
    if (m.admin) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = t("admin");
      b.append(" ", tag);
    }
    b.addEventListener("click", () => switchMember(m.key));
    box.append(b);
  }
  $("bot-admin").checked = !!state.group.bot_admin;
  $("group-note").textContent = state.group.bot_admin || !state.group.privacy_mode ? t("privacyAdmin") : t("privacyOn");
}

function switchMember(key) {
  if (key === state.as) return;
  state.as = key;
  localStorage.setItem("shelly.as", key);
  renderChatHeader();
  // the page shows whose messages are "mine" from the new point of view
  for (const m of state.messages.values()) upsert(m);
  refreshCommands().catch(() => {});
}

async function setBotAdmin(admin) {
  try {
    state.group = await api("/api/group", { bot_admin: admin });
  } catch (err) {
    showToast(t("failed", { why: err.message }), 4000);
  }
  renderChatHeader();
}

function showWelcome() {
  const empty = state.messages.size === 0;
  $("welcome").hidden = !empty || state.chat !== "private";
  $("welcome-group").hidden = !empty || state.chat !== "group";
}

function setReplyTo(id) {
  state.replyTo = id;
  const bar = $("replybar");
  if (id === null) { bar.hidden = true; return; }
  const m = state.messages.get(id);
  const name = !m ? "" : m.from === "bot" ? t("shelly") : m.sender ? senderName(m.sender) : t("you");
  $("reply-name").textContent = t("replyingTo", { name });
  $("reply-snippet").replaceChildren(snippet(m));
  bar.hidden = false;
  $("text").focus();
}

// one line that stands for a message (the quoted message of a reply)
function snippet(m) {
  const span = document.createElement("span");
  if (!m) { span.textContent = "…"; return span; }
  if (m.photo || m.document) span.className = "ico-photo";
  span.textContent = m.text || m.caption || (m.photo ? t("photo") : m.document ? t("file") : "…");
  return span;
}

function senderName(sender) {
  return sender.key === "you" ? t("you") : sender.name;
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
  if (event.chat && event.chat !== state.chat) { // another chat: just count it
    if (event.type === "message" || event.type === "user_message") {
      state.unread[event.chat] = (state.unread[event.chat] || 0) + 1;
      renderChatHeader();
    }
    return;
  }
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
      if (state.replyTo === event.message_id) setReplyTo(null);
      showWelcome();
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
function isMine(m) {
  return m.from === "user" && (!m.sender || m.sender.key === state.as || state.chat === "private");
}

function upsert(m) {
  state.messages.set(m.id, m);
  showWelcome();
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
  const mine = isMine(m);
  li.className = `msg ${m.from === "bot" ? "bot" : mine ? "user" : "other"}`;
  li.dataset.id = String(m.id);
  if (m.sender) li.dataset.sender = m.sender.key;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (state.chat === "group" && !mine) {
    const who = document.createElement("div");
    who.className = `sender s-${m.sender ? m.sender.key : "bot"}`;
    who.textContent = m.from === "bot" ? t("shelly") : m.sender ? senderName(m.sender) : "?";
    bubble.append(who);
  }
  if (m.reply_to) {
    const q = document.createElement("div");
    q.className = "quote";
    q.append(snippet(state.messages.get(m.reply_to)));
    bubble.append(q);
  }
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
  if (state.chat === "group") {
    const rb = document.createElement("button");
    rb.type = "button";
    rb.className = "reply-btn";
    rb.textContent = "↩";
    rb.title = t("reply");
    rb.setAttribute("aria-label", t("reply"));
    rb.addEventListener("click", () => setReplyTo(m.id));
    meta.prepend(rb);
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
            await api("/api/button", { message_id: m.id, data: b.callback_data, lang: state.lang,
              chat: state.chat, as: state.as });
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
  const replyTo = state.replyTo;
  try {
    const { message } = await api("/api/text", { text, lang: state.lang, chat: state.chat, as: state.as,
      reply_to: replyTo });
    if (replyTo !== null) setReplyTo(null);
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
  form.append("chat", state.chat);
  form.append("as", state.as);
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
    await refreshCommands();
  }));
  document.querySelectorAll(".chat-tab").forEach((tab) => tab.addEventListener("click", () => switchChat(tab.dataset.chat)));
  $("bot-admin").addEventListener("change", (e) => setBotAdmin(e.target.checked));
  $("reply-cancel").addEventListener("click", () => setReplyTo(null));
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
