// storykit preview only (never published): a bar saying this is a private preview, and a reload
// when the preview has a new version. The server sends its state on /_storykit/events.
(function () {
  "use strict";
  var me = document.currentScript, version = me.getAttribute("data-version"), key = "storykit-preview-scroll";
  var bar = document.createElement("div");
  bar.setAttribute("role", "status");
  bar.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:1000;padding:.4rem .8rem;font:14px/1.4 " +
    "system-ui,sans-serif;background:#1a1a1a;color:#fff;white-space:pre-wrap;max-height:40vh;overflow:auto";
  function say(text, colour) { bar.textContent = text; bar.style.background = colour || "#1a1a1a"; }
  say("Preview: private, not published. It changes here each time you save.");
  document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(bar); });
  var y = sessionStorage.getItem(key);  // where the reader was before the reload
  if (y !== null) {
    sessionStorage.removeItem(key);
    window.addEventListener("load", function () { window.scrollTo(0, +y); });
  }
  var events = new EventSource("/_storykit/events");
  events.onmessage = function (e) {
    var state = JSON.parse(e.data);
    if (state.version && state.version !== version && !state.building) {
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    } else if (state.building) {
      say("Preview: making the page again\u2026");
    } else if (state.error) {
      say("Preview: the last change could not be shown. " + state.error, "#a40000");
    } else {
      say("Preview: private, not published. It changes here each time you save.");
    }
  };
  events.onerror = function () { say("Preview: the preview server is not answering (stopped, or starting again)."); };
})();
