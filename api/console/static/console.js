// Staff console glue (htmx does the rest): live updates over Server-Sent Events, error toasts.
// The server sends named events ("queue-changed", "conversation-changed"); each is re-dispatched on <body>,
// where htmx elements listen with hx-trigger="queue-changed from:body".
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  function say(text) { if (status) status.textContent = text; }

  function toast(text, isError) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.className = "toast" + (isError ? " error" : "");
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  window.consoleToast = toast;

  function connect() {
    if (!window.EventSource || !document.querySelector(".topbar")) return;
    var url = "/console/events";
    var watched = document.body.getAttribute("data-conversation");
    if (watched) url += "?conversation=" + encodeURIComponent(watched);
    var source = new EventSource(url);
    source.onopen = function () { say("Đang cập nhật trực tiếp"); };
    source.onerror = function () { say("Mất kết nối, đang thử lại…"); };
    ["queue-changed", "conversation-changed", "session-expired"].forEach(function (name) {
      source.addEventListener(name, function (event) {
        if (name === "session-expired") { window.location.href = "/console/login?expired=1"; return; }
        document.body.dispatchEvent(new CustomEvent(name, { detail: event.data }));
      });
    });
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr && xhr.responseText) || "Không thực hiện được. Bạn vui lòng thử lại.";
    try { var body = JSON.parse(text); text = body.message || text; } catch (e) { /* plain text */ }
    toast(text, true);
  });
  document.addEventListener("htmx:sendError", function () {
    toast("Không kết nối được máy chủ. Bạn vui lòng kiểm tra mạng rồi thử lại.", true);
  });
  document.addEventListener("DOMContentLoaded", connect);
})();

// --- Officers' pages (conversation_pages, quick_replies): Enter sends the reply, Shift+Enter makes a new line;
// [data-insert-from] buttons put a quick reply or a knowledge-base answer into the reply box; the transcript stays
// scrolled to the bottom when new messages arrive (unless the officer scrolled up); form[data-confirm] asks first.
(function () {
  "use strict";
  function nearBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 80; }
  function toBottom() {
    var box = document.getElementById("messages");
    if (box) box.scrollTop = box.scrollHeight;
  }

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-enter-submits]")) return;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();  // Vietnamese input methods compose with Enter: isComposing/229 are left alone above
    if (box.value.trim() && box.form) box.form.requestSubmit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-from]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-insert-from"));
    var reply = document.getElementById("reply-text");
    if (!reply) { window.consoleToast("Bạn cần nhận cuộc trò chuyện trước khi chèn nội dung trả lời.", true); return; }
    if (!source) return;
    var text = source.textContent.trim();
    var start = reply.selectionStart, end = reply.selectionEnd, value = reply.value;
    var before = value.slice(0, start), after = value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    reply.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    reply.focus();
    reply.setSelectionRange(caret, caret);
    reply.dispatchEvent(new Event("input", { bubbles: true }));
    var status = document.getElementById("live-status");
    if (status) {  // announced to screen readers, then back to the connection state
      var previous = status.textContent;
      status.textContent = "Đã chèn vào ô trả lời";
      setTimeout(function () { if (status.textContent === "Đã chèn vào ô trả lời") status.textContent = previous; }, 3000);
    }
  });

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  var atBottom = true, sent = false;  // kept at the bottom while the officer has not scrolled up
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !event.detail.successful) return;
    if (form.id === "reply-form") sent = true;
    // forms marked data-reset-on-success are emptied once sent (no inline handlers: the CSP forbids them)
    if (form.hasAttribute && form.hasAttribute("data-reset-on-success") && form.reset) form.reset();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "messages") return;
    if (atBottom || sent) toBottom();
    sent = false;
  });
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("messages");
    if (!box) return;
    var shown = box.querySelector(".msg.highlight");
    if (shown) {  // a message found in history
      atBottom = false;
      box.scrollTop = shown.offsetTop - box.offsetTop - box.clientHeight / 3;
    } else {
      toBottom();
    }
    box.addEventListener("scroll", function () { atBottom = nearBottom(box); });
    if (window.ResizeObserver) new ResizeObserver(function () { if (atBottom) toBottom(); }).observe(box);
  });
})();

// --- Admin editors (admin/_macros.html `rows`): repeatable rows of a list — add (from the list's <template>), move
// up, move down, remove. After every change the rows are renumbered in page order, so the names the server reads
// (fees-0-amount, fees-1-amount…) follow what the admin sees.
(function () {
  "use strict";
  function renumber(list) {
    var group = list.getAttribute("data-rows");
    var pattern = new RegExp("(^|f-|err-|help-)" + group + "-(\\d+|__i__)(?=-|$|\\s)", "g");
    var items = list.querySelectorAll(":scope > ol > li[data-row]");
    items.forEach(function (item, index) {
      [item].concat(Array.prototype.slice.call(item.querySelectorAll("*"))).forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(pattern, "$1" + group + "-" + index));
        });
      });
      var number = item.querySelector(":scope > .row-head .row-number");
      if (number) number.textContent = String(index + 1);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row], [data-move], [data-remove-row]");
    if (!button) return;
    var list = button.closest("[data-rows]");
    if (!list) return;
    var ol = list.querySelector(":scope > ol");
    var item = button.closest("li[data-row]");
    if (button.hasAttribute("data-add-row")) {
      var template = list.querySelector(":scope > template");
      ol.appendChild(template.content.cloneNode(true));
      item = ol.lastElementChild;
    } else if (button.hasAttribute("data-remove-row")) {
      var next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      renumber(list);
      (next ? next.querySelector("input, select, textarea") : list.querySelector("[data-add-row]")).focus();
      return;
    } else if (button.getAttribute("data-move") === "-1" && item.previousElementSibling) {
      ol.insertBefore(item, item.previousElementSibling);
    } else if (button.getAttribute("data-move") === "1" && item.nextElementSibling) {
      ol.insertBefore(item.nextElementSibling, item);
    }
    renumber(list);
    if (button.hasAttribute("data-add-row")) {
      var first = item.querySelector("input, select, textarea");
      if (first) first.focus();
    } else {
      button.focus();
    }
  });
})();
