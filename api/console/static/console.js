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
