/*! Trợ lý ảo thủ tục hành chính — embeddable chat widget.
 * Embed: <script src="https://HOST/widget.js" defer></script>
 * Options: data-title, data-color (#rgb or #rrggbb), data-position (right | left).
 * No framework, no build step. Everything lives in a shadow root; all message text is set with textContent.
 * Protocol: api/routes/widget.py and docs/channels.md.
 */
(function () {
  "use strict";
  var W = window, D = document;
  if (W.__tlhcWidget) return;
  var script = D.currentScript || (function () {
    var all = D.querySelectorAll("script[src]");
    for (var i = all.length - 1; i >= 0; i--) if (/\/widget\.js(\?|$)/.test(all[i].src)) return all[i];
    return null;
  })();
  if (!script || !W.WebSocket || !W.URL) return;
  W.__tlhcWidget = true;

  // --- configuration -------------------------------------------------------------------------------------------
  var API = new URL(script.src, location.href).origin;
  var WS_URL = API.replace(/^http/, "ws") + "/api/v1/widget/ws";
  var opts = script.dataset || {};
  var TITLE = (opts.title || "Trợ lý ảo thủ tục hành chính").slice(0, 80);
  var COLOR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(opts.color || "") ? opts.color : "#0b5cad";
  var LEFT = opts.position === "left";
  var MAX_CHARS = 2000, MAX_OUTBOX = 20;
  var STORE = "tlhc-widget:" + API;
  var KEY_RE = /^[A-Za-z0-9_-]{16,64}$/;
  var HANDOFF = { title: "Gặp cán bộ", payload: "/request_human" };
  var SUGGESTIONS = ["Làm hộ chiếu cần giấy tờ gì?", "Đăng ký khai sinh cho con", "Cấp lại căn cước bị mất"];
  var MODES = {
    bot: "Trợ lý ảo · trả lời tự động",
    waiting: "Đang chờ cán bộ tiếp nhận",
    assigned: "Cán bộ đang hỗ trợ bạn"
  };

  // Text colour on the brand colour, and a brand colour readable on white (WCAG contrast ≥ 4.5).
  function luminance(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    return [0, 2, 4].reduce(function (sum, i, n) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      c = c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      return sum + c * [0.2126, 0.7152, 0.0722][n];
    }, 0);
  }
  var L = luminance(COLOR);
  var ON_COLOR = 1.05 / (L + 0.05) >= 4.5 ? "#fff" : "#111";
  var ACCENT = 1.05 / (L + 0.05) >= 4.5 ? COLOR : "#1f3b63";

  // --- storage: the conversation key, unsent messages (with their ids) and what was seen ---------------------------
  function readStore(area, name) {
    try { return JSON.parse(W[area].getItem(name) || "null"); } catch (e) { return null; }
  }
  function writeStore(area, name, value) {
    try { W[area].setItem(name, JSON.stringify(value)); } catch (e) { /* storage off: memory only */ }
  }
  var state = readStore("localStorage", STORE) || {};
  if (!KEY_RE.test(state.key || "")) state.key = null;
  state.outbox = (Array.isArray(state.outbox) ? state.outbox : []).filter(function (m) {
    return m && typeof m.id === "string" && (typeof m.text === "string" || typeof m.payload === "string");
  }).slice(-MAX_OUTBOX);
  state.seen = +state.seen || 0;
  function save() { writeStore("localStorage", STORE, state); }

  function random(n) {
    var bytes = new Uint8Array(n), out = "", abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (W.crypto || W.msCrypto).getRandomValues(bytes);
    for (var i = 0; i < n; i++) out += abc[bytes[i] & 63];
    return out;
  }

  // --- DOM helpers: text only, never HTML ---------------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = D.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function attrs(node, map) {
    for (var k in map) node.setAttribute(k, map[k]);
    return node;
  }
  function icon(d, size) {
    var ns = "http://www.w3.org/2000/svg", svg = D.createElementNS(ns, "svg"), path = D.createElementNS(ns, "path");
    attrs(svg, { viewBox: "0 0 24 24", width: size || 24, height: size || 24, "aria-hidden": "true", focusable: "false" });
    attrs(path, { d: d, fill: "currentColor" });
    svg.appendChild(path);
    return svg;
  }
  function button(cls, label, text) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    return b;
  }
  var ICON_CHAT = "M12 3C6.5 3 2 6.9 2 11.7c0 2.7 1.4 5.1 3.7 6.7L5 22l4.1-2.2c.9.2 1.9.4 2.9.4 5.5 0 10-3.9 10-8.6S17.5 3 12 3zm-4 10a1.3 1.3 0 110-2.6A1.3 1.3 0 018 13zm4 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6zm4 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6z";
  var ICON_CLOSE = "M18.3 5.7a1 1 0 00-1.4 0L12 10.6 7.1 5.7a1 1 0 10-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 101.4 1.4l4.9-4.9 4.9 4.9a1 1 0 001.4-1.4L13.4 12l4.9-4.9a1 1 0 000-1.4z";
  var ICON_SEND = "M3.4 20.4l17.5-7.5a1 1 0 000-1.8L3.4 3.6a1 1 0 00-1.4 1.1L3.8 11 14 12 3.8 13l-1.8 6.3a1 1 0 001.4 1.1z";
  var ICON_PERSON = "M12 12a4.5 4.5 0 100-9 4.5 4.5 0 000 9zm0 2c-4 0-8 2-8 5v1.5h16V19c0-3-4-5-8-5z";

  // Links: only http(s), opened in a new tab without access to this page.
  var URL_RE = /https?:\/\/[^\s<>"'`]+/gi;
  function safeUrl(text) {
    try {
      var u = new URL(text);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) { return null; }
  }
  function fillText(node, text) {
    var at = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]}»”’]+$/, ""), href = safeUrl(url);
      if (m.index > at) node.appendChild(D.createTextNode(text.slice(at, m.index)));
      if (href) {
        var a = el("a", "tlhc-link", url);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        node.appendChild(a);
      } else {
        node.appendChild(D.createTextNode(url));
      }
      at = m.index + url.length;
      URL_RE.lastIndex = at;
    }
    if (at < text.length) node.appendChild(D.createTextNode(text.slice(at)));
    return node;
  }

  // --- styles -------------------------------------------------------------------------------------------------------
  var CSS = [
    ":host{all:initial}",
    ".tlhc-root{--c:" + COLOR + ";--on:" + ON_COLOR + ";--accent:" + ACCENT + ";font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1c1e21;-webkit-text-size-adjust:100%}",
    ".tlhc-root *,.tlhc-root *::before,.tlhc-root *::after{box-sizing:border-box}",
    ":where(.tlhc-root) button{font:inherit;cursor:pointer;margin:0}",
    ".tlhc-root :focus-visible{outline:3px solid #111;outline-offset:2px;box-shadow:0 0 0 2px #fff}",
    ".tlhc-head :focus-visible,.tlhc-bubble:focus-visible{outline-color:#fff;box-shadow:0 0 0 2px #111,0 0 0 7px #111}",
    ".tlhc-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".tlhc-bubble{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:60px;height:60px;border:0;border-radius:50%;background:var(--c);color:var(--on);box-shadow:0 4px 16px rgba(0,0,0,.28);display:flex;align-items:center;justify-content:center;transition:transform .15s}",
    ".tlhc-bubble:hover{transform:scale(1.06)}",
    ".tlhc-left .tlhc-bubble{right:auto;left:20px}",
    ".tlhc-badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#c62828;color:#fff;font-size:12px;font-weight:700;line-height:18px;border:2px solid #fff}",
    ".tlhc-panel{position:fixed;bottom:92px;right:20px;z-index:2147483001;width:380px;height:min(640px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.28);overflow:hidden;animation:tlhc-in .18s ease-out}",
    ".tlhc-left .tlhc-panel{right:auto;left:20px}",
    ".tlhc-panel[hidden]{display:none}",
    "@keyframes tlhc-in{from{opacity:0;transform:translateY(12px)}}",
    ".tlhc-head{display:flex;align-items:center;gap:10px;padding:10px 6px 10px 12px;background:var(--c);color:var(--on);flex:none}",
    ".tlhc-avatar{width:38px;height:38px;border-radius:50%;background:#fff;color:var(--accent);display:flex;align-items:center;justify-content:center;flex:none}",
    ".tlhc-htext{flex:1;min-width:0}",
    ".tlhc-title{margin:0;font-size:16px;font-weight:700;line-height:1.25;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".tlhc-status{font-size:13px;line-height:1.3;display:flex;align-items:center;gap:6px}",
    ".tlhc-dot{width:8px;height:8px;border-radius:50%;background:#4caf50;box-shadow:0 0 0 2px #fff;flex:none}",
    ".tlhc-off .tlhc-dot{background:#f9a825}",
    ".tlhc-close{width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:inherit;display:flex;align-items:center;justify-content:center;flex:none}",
    ".tlhc-close:hover{background:rgba(255,255,255,.18)}",
    ".tlhc-banner{flex:none;background:#fff4ce;color:#4d3800;font-size:13.5px;padding:6px 12px;text-align:center;border-bottom:1px solid #f0dc99}",
    ".tlhc-banner[hidden]{display:none}",
    ".tlhc-scroll{flex:1;overflow-y:auto;overscroll-behavior:contain;background:#f0f2f5;padding:12px 12px 6px}",
    ".tlhc-row{display:flex;flex-direction:column;align-items:flex-start;margin:3px 0}",
    ".tlhc-me{align-items:flex-end}",
    ".tlhc-who{font-size:12.5px;color:#4b4f56;margin:8px 12px 2px;font-weight:600}",
    ".tlhc-msg{max-width:86%;padding:8px 12px;border-radius:18px 18px 18px 6px;background:#fff;color:#1c1e21;white-space:pre-wrap;overflow-wrap:anywhere;box-shadow:0 1px 1px rgba(0,0,0,.06)}",
    ".tlhc-me .tlhc-msg{background:var(--c);color:var(--on);border-radius:18px 18px 6px 18px}",
    ".tlhc-officer .tlhc-msg{background:#e6f4ea;border:1px solid #a8d5b5}",
    ".tlhc-link{color:#0b57d0;text-decoration:underline}",
    ".tlhc-me .tlhc-link{color:inherit}",
    ".tlhc-time{font-size:11.5px;color:#5f6368;margin:2px 8px 0}",
    ".tlhc-pending .tlhc-msg{opacity:.75}",
    ".tlhc-failed .tlhc-msg{background:#fdecea;color:#611a15;border:1px solid #e6a39b}",
    ".tlhc-failed .tlhc-time{color:#a12622}",
    ".tlhc-retry{border:0;background:none;color:#0b57d0;text-decoration:underline;padding:4px 8px;font-size:13px}",
    ".tlhc-sys{align-self:center;max-width:92%;margin:8px auto;padding:6px 12px;border-radius:12px;background:#e4e6eb;color:#303338;font-size:13.5px;text-align:center;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".tlhc-note{background:#fff;border:1px dashed #9aa0a6}",
    ".tlhc-day{text-align:center;font-size:12px;color:#5f6368;margin:10px 0 4px}",
    ".tlhc-qr{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 4px;max-width:94%}",
    ".tlhc-qr[hidden],.tlhc-stars[hidden]{display:none}",
    ".tlhc-chip{min-height:36px;padding:6px 14px;border:1.5px solid var(--accent);border-radius:18px;background:#fff;color:var(--accent);font-size:14px;font-weight:600;line-height:1.3;text-align:left}",
    ".tlhc-chip:hover{background:#eef3fb}",
    ".tlhc-sys .tlhc-stars{justify-content:center}",
    ".tlhc-stars{display:flex;gap:2px;margin-top:6px}",
    ".tlhc-star{width:44px;height:44px;border:0;border-radius:8px;background:transparent;color:#80868b;font-size:30px;line-height:1;padding:0}",
    ".tlhc-star.tlhc-lit{color:#b26a00}",
    ".tlhc-typing{display:inline-flex;gap:4px;padding:12px 14px;border-radius:18px;background:#fff;margin:3px 0}",
    ".tlhc-typing[hidden]{display:none}",
    ".tlhc-typing i{width:7px;height:7px;border-radius:50%;background:#80868b;animation:tlhc-b 1.2s infinite}",
    ".tlhc-typing i:nth-child(2){animation-delay:.2s}.tlhc-typing i:nth-child(3){animation-delay:.4s}",
    "@keyframes tlhc-b{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}",
    ".tlhc-actions{flex:none;display:flex;gap:6px;padding:8px 10px 0;background:#fff;border-top:1px solid #e4e6eb}",
    ".tlhc-actions[hidden]{display:none}",
    ".tlhc-form{flex:none;display:flex;align-items:flex-end;gap:8px;padding:8px 10px 10px;background:#fff}",
    ".tlhc-input{flex:1;min-width:0;min-height:44px;max-height:132px;resize:none;padding:10px 14px;border:1.5px solid #8a9099;border-radius:22px;background:#fff;color:#1c1e21;font:inherit;font-size:16px;line-height:1.4}",
    ".tlhc-input::placeholder{color:#5f6368}",
    ".tlhc-input:focus{border-color:var(--accent)}",
    ".tlhc-root .tlhc-input:focus-visible{outline:2px solid var(--accent);outline-offset:1px;box-shadow:none}",
    ".tlhc-send{height:44px;padding:0 14px;border:0;border-radius:22px;background:var(--c);color:var(--on);font-weight:700;display:flex;align-items:center;gap:6px;flex:none}",
    ".tlhc-count{font-size:12px;color:#5f6368;text-align:right;padding:0 14px 6px;background:#fff}",
    ".tlhc-count[hidden]{display:none}",
    ".tlhc-intro .tlhc-msg{background:#fff}",
    "@media (max-width:480px){.tlhc-panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;border-radius:0;animation:none}.tlhc-left .tlhc-panel{left:0}.tlhc-open .tlhc-bubble{display:none}.tlhc-msg{max-width:90%}}",
    "@media (prefers-reduced-motion:reduce){.tlhc-root *{animation:none!important;transition:none!important}}",
    "@media (forced-colors:active){.tlhc-msg,.tlhc-sys,.tlhc-chip,.tlhc-bubble,.tlhc-send{border:1px solid CanvasText}}"
  ].join("\n");

  // --- the UI -------------------------------------------------------------------------------------------------------
  var host = el("tlhc-widget");  // an element of its own: the page's `div {…}` rules do not reach it
  host.id = "tlhc-widget";
  host.setAttribute("style", "all:initial!important");
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var rootEl = el("div", "tlhc-root" + (LEFT ? " tlhc-left" : ""));
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];  // not subject to the host page's style-src
  } catch (e) {
    shadow.appendChild(el("style", null, CSS));
  }

  var bubble = button("tlhc-bubble", "");
  bubble.appendChild(icon(ICON_CHAT, 30));
  var badge = el("span", "tlhc-badge");
  badge.hidden = true;
  badge.setAttribute("aria-hidden", "true");
  bubble.appendChild(badge);
  attrs(bubble, { "aria-expanded": "false", "aria-controls": "tlhc-panel", "aria-haspopup": "dialog" });

  var panel = attrs(el("div", "tlhc-panel"), {
    id: "tlhc-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "tlhc-title"
  });
  panel.hidden = true;
  var head = el("div", "tlhc-head");
  var avatar = el("div", "tlhc-avatar");
  avatar.appendChild(icon(ICON_CHAT, 22));
  var htext = el("div", "tlhc-htext");
  var title = el("h2", "tlhc-title", TITLE);
  title.id = "tlhc-title";
  var status = el("div", "tlhc-status");
  var statusText = el("span", null, "Đang kết nối…");
  status.appendChild(el("span", "tlhc-dot"));
  status.appendChild(statusText);
  htext.appendChild(title);
  htext.appendChild(status);
  var closeBtn = button("tlhc-close", "Đóng cửa sổ trò chuyện");
  closeBtn.appendChild(icon(ICON_CLOSE, 22));
  head.appendChild(avatar);
  head.appendChild(htext);
  head.appendChild(closeBtn);

  var banner = attrs(el("div", "tlhc-banner", ""), { role: "status" });
  banner.hidden = true;
  var scroller = el("div", "tlhc-scroll");
  var list = attrs(el("div", "tlhc-log"), { role: "log", "aria-live": "polite", "aria-label": "Tin nhắn", "aria-busy": "true" });
  var pendingBox = el("div", "tlhc-log");
  var typingEl = attrs(el("div", "tlhc-typing"), { role: "status", "aria-label": "Trợ lý ảo đang trả lời…" });
  typingEl.appendChild(el("i"));
  typingEl.appendChild(el("i"));
  typingEl.appendChild(el("i"));
  typingEl.hidden = true;
  scroller.appendChild(list);
  scroller.appendChild(pendingBox);
  scroller.appendChild(typingEl);

  var actions = el("div", "tlhc-actions");
  var handoffBtn = button("tlhc-chip", "Gặp cán bộ bộ phận một cửa", "Gặp cán bộ");
  actions.appendChild(handoffBtn);
  var form = el("form", "tlhc-form");
  form.setAttribute("novalidate", "");
  var input = attrs(el("textarea", "tlhc-input"), {
    rows: "1", placeholder: "Nhập câu hỏi…", "aria-label": "Nhập câu hỏi", maxlength: String(MAX_CHARS),
    enterkeyhint: "send", autocomplete: "off"
  });
  var sendBtn = button("tlhc-send", "Gửi câu hỏi");
  sendBtn.type = "submit";
  sendBtn.appendChild(icon(ICON_SEND, 18));
  sendBtn.appendChild(el("span", null, "Gửi"));
  form.appendChild(input);
  form.appendChild(sendBtn);
  var counter = attrs(el("div", "tlhc-count"), { "aria-live": "polite" });
  counter.hidden = true;

  panel.appendChild(head);
  panel.appendChild(banner);
  panel.appendChild(scroller);
  panel.appendChild(actions);
  panel.appendChild(form);
  panel.appendChild(counter);
  rootEl.appendChild(panel);
  rootEl.appendChild(bubble);
  shadow.appendChild(rootEl);

  // --- rendering ----------------------------------------------------------------------------------------------------
  var lastId = 0, lastDay = "", lastSpeaker = "", live = false, mode = "bot", unread = 0, suggestions = null;
  var pendingEls = {};

  function fmtTime(d) {
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function dayLabel(d) {
    var today = new Date(), y = new Date(today.getTime() - 864e5);
    if (d.toDateString() === today.toDateString()) return "Hôm nay";
    if (d.toDateString() === y.toDateString()) return "Hôm qua";
    return ("0" + d.getDate()).slice(-2) + "/" + ("0" + (d.getMonth() + 1)).slice(-2) + "/" + d.getFullYear();
  }
  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  }
  function toBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }
  // Stay at the latest message when the list's box changes (keyboard, banner, the quick-action row).
  var pinned = true;
  scroller.addEventListener("scroll", function () { pinned = nearBottom(); });
  if (W.ResizeObserver) new W.ResizeObserver(function () { if (pinned) toBottom(); }).observe(scroller);
  function hideOldButtons() {
    var groups = list.querySelectorAll(".tlhc-qr,.tlhc-stars");
    for (var i = 0; i < groups.length; i++) groups[i].hidden = true;
    if (suggestions) { suggestions.remove(); suggestions = null; }
  }
  function ratingOf(b, i) {
    var m = /rating"?\s*:\s*"?([1-5])/.exec(b.payload) || /([1-5])/.exec(b.title);
    return m ? +m[1] : 5 - i;
  }
  function stars(buttons) {
    var box = attrs(el("div", "tlhc-stars"), { role: "group", "aria-label": "Chấm điểm mức độ hài lòng" });
    var items = buttons.map(function (b, i) { return { n: ratingOf(b, i), b: b }; })
      .sort(function (a, b) { return a.n - b.n; });
    var starEls = items.map(function (it) {
      var s = button("tlhc-star", "Đánh giá " + it.n + " sao", "★");
      s.onclick = function () { submit(null, it.b.payload, it.b.title || it.n + " sao"); };
      s.onmouseenter = s.onfocus = function () { light(it.n); };
      s.onmouseleave = s.onblur = function () { light(0); };
      box.appendChild(s);
      return s;
    });
    function light(n) { items.forEach(function (it, i) { starEls[i].classList.toggle("tlhc-lit", it.n <= n); }); }
    return box;
  }
  function quickReplies(buttons) {
    var box = attrs(el("div", "tlhc-qr"), { role: "group", "aria-label": "Lựa chọn nhanh" });
    buttons.forEach(function (b) {
      if (!b || !b.title) return;
      var chip = button("tlhc-chip", null, b.title);
      chip.onclick = function () { submit(null, b.payload, b.title); };
      box.appendChild(chip);
    });
    return box;
  }
  function buttonsOf(m) {
    var buttons = Array.isArray(m.buttons) ? m.buttons.filter(function (b) { return b && typeof b.payload === "string"; }) : [];
    if (!buttons.length) return null;
    var rating = buttons.every(function (b) { return b.payload.indexOf("/rate") === 0; });
    return rating ? stars(buttons) : quickReplies(buttons);
  }
  function speakerName(m) {
    if (m.author === "officer") return m.author_name ? "Cán bộ " + m.author_name.replace(/^Cán bộ\s+/i, "") : "Cán bộ";
    return m.author === "bot" ? "Trợ lý ảo" : "Bạn";
  }

  function addMessage(m) {
    if (!m || typeof m.id !== "number" || m.id <= lastId) return;
    lastId = m.id;
    var stick = nearBottom() || m.author === "citizen";
    if (m.author === "citizen" && m.client_id) {
      dropPending(m.client_id);
      dropFromOutbox(m.client_id);
    }
    var when = new Date(m.created_at || Date.now());
    if (isNaN(when)) when = new Date();
    var day = dayLabel(when);
    if (day !== lastDay) {
      list.appendChild(el("div", "tlhc-day", day));
      lastDay = day;
      lastSpeaker = "";
    }
    var text = String(m.text || "");
    if (m.author === "citizen") hideOldButtons();
    if (m.author === "system") {
      var sys = el("div", "tlhc-sys");
      sys.appendChild(el("span", "tlhc-sr", "Thông báo: "));
      fillText(sys, text);
      var sb = buttonsOf(m);
      if (sb) sys.appendChild(sb);
      list.appendChild(sys);
      lastSpeaker = "";
    } else {
      var row = el("div", "tlhc-row" + (m.author === "citizen" ? " tlhc-me" : m.author === "officer" ? " tlhc-officer" : ""));
      var name = speakerName(m);
      if (m.author !== "citizen" && name !== lastSpeaker) row.appendChild(el("div", "tlhc-who", name));
      var bubbleEl = el("div", "tlhc-msg");
      bubbleEl.appendChild(el("span", "tlhc-sr", name + ": "));
      fillText(bubbleEl, text || "(đã chọn một lựa chọn)");
      row.appendChild(bubbleEl);
      row.appendChild(el("div", "tlhc-time", fmtTime(when)));
      var qb = buttonsOf(m);
      if (qb) row.appendChild(qb);
      list.appendChild(row);
      lastSpeaker = m.author === "citizen" ? "" : name;
    }
    if (m.author !== "citizen") {
      if (m.author === "bot") showTyping(false);
      if (isOpen()) markSeen();
      else if (m.id > state.seen) setUnread(unread + 1);
    }
    if (stick || !isOpen()) toBottom();
  }
  function addNotice(text) {
    var stick = nearBottom();
    var note = el("div", "tlhc-sys tlhc-note");
    note.appendChild(el("span", "tlhc-sr", "Thông báo: "));
    fillText(note, String(text || ""));
    list.appendChild(note);
    if (stick) toBottom();
  }
  function intro() {
    var row = el("div", "tlhc-row tlhc-intro");
    row.appendChild(el("div", "tlhc-who", "Trợ lý ảo"));
    row.appendChild(el("div", "tlhc-msg",
      "Xin chào! Tôi là trợ lý ảo hướng dẫn thủ tục hành chính: giấy tờ cần chuẩn bị, lệ phí, thời gian, " +
      "nơi nộp hồ sơ và cách nộp trực tuyến. Bạn có thể gõ tiếng Việt có dấu hoặc không dấu. " +
      "Khi cần, bấm \"Gặp cán bộ\" để được cán bộ bộ phận một cửa hỗ trợ."));
    list.appendChild(row);
    lastSpeaker = "Trợ lý ảo";
  }
  function showSuggestions() {
    if (lastId || suggestions || state.outbox.length) return;
    suggestions = attrs(el("div", "tlhc-qr"), { role: "group", "aria-label": "Câu hỏi gợi ý" });
    SUGGESTIONS.forEach(function (q) {
      var chip = button("tlhc-chip", null, q);
      chip.onclick = function () { submit(q); };
      suggestions.appendChild(chip);
    });
    list.appendChild(suggestions);
  }
  function resetLog() {
    list.textContent = "";
    lastId = 0;
    lastDay = lastSpeaker = "";
    suggestions = null;
    intro();
  }

  function renderPending(item) {
    var row = el("div", "tlhc-row tlhc-me tlhc-pending");
    var msg = el("div", "tlhc-msg");
    msg.appendChild(el("span", "tlhc-sr", "Bạn: "));
    fillText(msg, item.title || item.text || "");
    row.appendChild(msg);
    row.appendChild(el("div", "tlhc-time"));
    pendingBox.appendChild(row);
    pendingEls[item.id] = row;
    pendingState(item.id, "");
    toBottom();
  }
  function pendingState(id, failure, retry) {
    var row = pendingEls[id];
    if (!row) return;
    row.className = "tlhc-row tlhc-me " + (failure ? "tlhc-failed" : "tlhc-pending");
    var note = row.querySelector(".tlhc-time");
    note.textContent = failure || (live ? "Đang gửi…" : "Chờ kết nối để gửi…");
    var old = row.querySelector(".tlhc-retry");
    if (old) old.remove();
    if (retry) {
      var again = button("tlhc-retry", "Gửi lại tin nhắn này", "Gửi lại");
      again.onclick = retry;
      row.appendChild(again);
    }
  }
  function dropPending(id) {
    if (pendingEls[id]) { pendingEls[id].remove(); delete pendingEls[id]; }
  }
  function dropFromOutbox(id) {
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (m) { return m.id !== id; });
    if (state.outbox.length !== before) save();
  }
  var typingTimer = 0;
  function showTyping(on) {
    clearTimeout(typingTimer);
    var stick = nearBottom();
    typingEl.hidden = !on;
    if (on) typingTimer = setTimeout(function () { typingEl.hidden = true; }, 30000);
    if (on && stick) toBottom();
  }
  function setMode(next) {
    mode = MODES[next] ? next : "bot";
    if (state.mode !== mode) { state.mode = mode; save(); }
    actions.hidden = mode !== "bot";
    setStatus();
  }
  function setStatus() {
    var online = ws && ws.readyState === 1 && live;
    status.classList.toggle("tlhc-off", !online);
    var lost = connectedOnce || attempt > 0;
    statusText.textContent = online ? MODES[mode] : replaced ? "Đang mở ở cửa sổ khác" : lost ? "Mất kết nối"
      : "Đang kết nối…";
    banner.hidden = online || !lost;
    banner.textContent = replaced ? "Cuộc trò chuyện đang được mở ở một cửa sổ khác."
      : "Đang kết nối lại… Tin nhắn của bạn sẽ được gửi khi có mạng.";
    for (var id in pendingEls) {
      if (pendingEls[id].className.indexOf("tlhc-failed") < 0) pendingState(id, "");
    }
  }
  function setUnread(n) {
    unread = n;
    badge.hidden = !n;
    badge.textContent = n > 9 ? "9+" : String(n);
    updateBubbleLabel();
  }
  function updateBubbleLabel() {
    var label = isOpen() ? "Đóng " + TITLE : "Mở " + TITLE;
    if (unread && !isOpen()) label += " (" + unread + " tin nhắn mới)";
    bubble.setAttribute("aria-label", label);
  }
  function markSeen() {
    if (unread) setUnread(0);
    if (lastId > state.seen) { state.seen = lastId; save(); }
  }

  // --- sending: every message has a client id and stays in the outbox (localStorage) until acknowledged ------------
  var sentOn = {};  // client id → connection number it was sent on: at most once per connection

  function submit(text, payload, label) {
    text = (text || "").trim();
    if (!text && !payload) return false;
    if (state.outbox.length >= MAX_OUTBOX) {
      addNotice("Có quá nhiều tin nhắn đang chờ gửi. Bạn vui lòng đợi có mạng trở lại.");
      return false;
    }
    if (!state.key) newKey();
    var item = { id: random(22), t: Date.now() };
    if (payload) { item.payload = payload; item.title = (label || "").slice(0, 200); } else item.text = text;
    state.outbox.push(item);
    state.active = Date.now();
    save();
    if (suggestions) { suggestions.remove(); suggestions = null; }
    renderPending(item);
    if (ws) transmit(item); else connect();
    return true;
  }
  function transmit(item) {
    if (!ws || ws.readyState !== 1 || !live || sentOn[item.id] === connNo || !findItem(item.id)) return;
    sentOn[item.id] = connNo;
    var frame = { type: "message", id: item.id };
    if (item.payload) { frame.payload = item.payload; frame.title = item.title || ""; } else frame.text = item.text;
    ws.send(JSON.stringify(frame));
    pendingState(item.id, "");
  }
  function findItem(id) {
    for (var i = 0; i < state.outbox.length; i++) if (state.outbox[i].id === id) return state.outbox[i];
    return null;
  }
  function onError(frame) {
    var item = frame.id && findItem(frame.id);
    if (!item) {
      if (frame.message) addNotice(frame.message);
      return;
    }
    delete sentOn[item.id];
    if (frame.code === "rate_limited") {  // stays queued; sent again a little later on this connection
      pendingState(item.id, frame.message);
      setTimeout(function () { transmit(item); }, 4000 + Math.random() * 2000);
      return;
    }
    dropFromOutbox(item.id);
    pendingState(item.id, frame.message || "Chưa gửi được.", frame.code === "server_error" && function () {
      state.outbox.push(item);  // same client id: if it was stored after all, the server does not store it twice
      save();
      pendingState(item.id, "");
      if (ws) transmit(item); else connect();
    });
  }

  // --- the connection: reconnect with backoff and jitter, heartbeat ----------------------------------------------
  var ws = null, connNo = 0, attempt = 0, retryTimer = 0, wanted = false, connectedOnce = false, lastFrame = 0;
  var replaced = false;  // another tab took the conversation over: wait until this tab is looked at again

  function newKey() {
    state.key = random(32);
    state.seen = 0;
    save();
  }
  function connect() {
    clearTimeout(retryTimer);
    wanted = true;
    if (ws) return;
    if (!state.key) newKey();
    live = false;
    var sock;
    try {
      sock = new WebSocket(WS_URL + "?key=" + encodeURIComponent(state.key) + "&after=" + lastId);
    } catch (e) {
      scheduleRetry();
      return;
    }
    ws = sock;
    connNo++;
    list.setAttribute("aria-busy", "true");
    setStatus();
    var opening = setTimeout(function () { if (sock.readyState !== 1) drop(sock); }, 12000);
    sock.onopen = function () { clearTimeout(opening); lastFrame = Date.now(); };
    sock.onmessage = function (ev) { lastFrame = Date.now(); onFrame(ev.data); };
    sock.onerror = function () { /* a close follows */ };
    sock.onclose = function (ev) {
      clearTimeout(opening);
      if (ws !== sock) return;
      ws = null;
      live = false;
      showTyping(false);
      if (ev.code === 4409) {  // the conversation is open in another tab: no retry until this tab is visible again
        replaced = true;
        setStatus();
        return;
      }
      if (ev.code === 4400) {  // the server refused our key or cursor: start afresh
        if (/^invalid_key/.test(ev.reason || "")) newKey();
        resetLog();
        attempt = 0;
      }
      scheduleRetry();
      setStatus();
    };
  }
  function drop(sock) {  // a silent connection: give up on it and reconnect
    sock.onclose = sock.onmessage = null;
    try { sock.close(); } catch (e) { /* already closed */ }
    if (ws === sock) {
      ws = null;
      live = false;
      showTyping(false);
      scheduleRetry();
      setStatus();
    }
  }
  function scheduleRetry() {
    if (!wanted) return;
    clearTimeout(retryTimer);
    var cap = Math.min(30000, 1000 * Math.pow(2, attempt++));
    retryTimer = setTimeout(connect, cap / 2 + Math.random() * cap / 2);
  }
  function reconnectNow() {
    if (!wanted) return;
    if (!ws) { attempt = 0; connect(); } else if (ws.readyState === 1) ping();
  }
  function ping() {
    try { ws.send('{"type":"ping"}'); } catch (e) { /* closing */ }
  }
  setInterval(function () {
    if (!ws || ws.readyState !== 1) return;
    if (Date.now() - lastFrame > 55000) drop(ws);
    else ping();
  }, 25000);
  W.addEventListener("online", reconnectNow);
  D.addEventListener("visibilitychange", function () {
    if (D.visibilityState !== "visible") return;
    if (replaced && wanted) { replaced = false; attempt = 0; connect(); } else reconnectNow();
  });

  function onFrame(data) {
    var f;
    try { f = JSON.parse(data); } catch (e) { return; }
    if (!f || typeof f !== "object") return;
    if (f.type === "message") addMessage(f.message);
    else if (f.type === "mode") {
      setMode(f.mode);
      if (!live) {  // the history is complete: this connection is live
        live = true;
        connectedOnce = true;
        attempt = 0;
        list.setAttribute("aria-busy", "false");
        showSuggestions();
        setStatus();
        state.outbox.forEach(transmit);
        if (isOpen()) markSeen();
      }
    } else if (f.type === "ack") {
      dropFromOutbox(f.id);
      if (f.message_id <= lastId) dropPending(f.id);
    } else if (f.type === "typing") showTyping(!!f.on);
    else if (f.type === "notice") addNotice(f.text);
    else if (f.type === "error") onError(f);
  }

  // --- opening, closing, typing -----------------------------------------------------------------------------------
  function isOpen() { return !panel.hidden; }
  function openPanel() {
    panel.hidden = false;
    rootEl.classList.add("tlhc-open");
    bubble.setAttribute("aria-expanded", "true");
    writeStore("sessionStorage", STORE + ":open", 1);
    updateBubbleLabel();
    connect();
    markSeen();
    toBottom();
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    rootEl.classList.remove("tlhc-open");
    bubble.setAttribute("aria-expanded", "false");
    writeStore("sessionStorage", STORE + ":open", 0);
    updateBubbleLabel();
    bubble.focus();
  }
  bubble.onclick = function () { if (isOpen()) closePanel(); else openPanel(); };
  closeBtn.onclick = closePanel;
  rootEl.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && isOpen() && !e.isComposing) { e.preventDefault(); closePanel(); }
  });
  handoffBtn.onclick = function () { submit(null, HANDOFF.payload, HANDOFF.title); input.focus(); };
  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 3, 132) + "px";
    var n = input.value.length;
    counter.hidden = n < MAX_CHARS - 200;
    counter.textContent = n + "/" + MAX_CHARS + " ký tự";
  }
  input.addEventListener("input", grow);
  input.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter is a new line; never while an input method (Vietnamese IME) is composing.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); send(); });
  function send() {
    if (submit(input.value)) {
      input.value = "";
      grow();
    }
    input.focus();
  }

  // --- start ----------------------------------------------------------------------------------------------------
  function start() {
    D.body.appendChild(host);
    intro();
    setMode(state.mode || "bot");
    updateBubbleLabel();
    state.outbox.forEach(renderPending);
    var recent = Date.now() - (+state.active || 0) < 864e5;
    if (readStore("sessionStorage", STORE + ":open")) openPanel();
    else if (state.key && (recent || state.outbox.length || state.mode !== "bot")) connect();  // returning visitor: replies and unread count
  }
  if (D.body) start(); else D.addEventListener("DOMContentLoaded", start);
})();
