/* "Leave this site quickly" (templates/hotline/includes/quick_exit.html). The button, or Esc
   pressed twice within a second: what the page shows is emptied and hidden at once, the
   server forgets what this session held (a background post that outlives the page), and the
   page is replaced by a neutral one: location.replace leaves no hotline entry to go back to. */
(function () {
  "use strict";
  var form = document.getElementById("quick-exit");
  if (!form) { return; }
  var target = form.getAttribute("data-exit-url");
  var leaving = false;

  function leave(event) {
    if (event) { event.preventDefault(); }
    if (leaving) { return; }
    leaving = true;
    document.documentElement.style.visibility = "hidden";
    // What the large-file uploads kept to resume (static/js/uploads.js) goes too.
    try { window.sessionStorage.clear(); } catch (ignored) { /* storage blocked: nothing kept */ }
    var body = new FormData(form);
    document.querySelectorAll("input, textarea, select").forEach(function (field) {
      if (field.type !== "hidden" && field.type !== "submit" && field.type !== "button") {
        if (field.type === "checkbox" || field.type === "radio") { field.checked = false; } else { field.value = ""; }
      }
    });
    try {
      if (!navigator.sendBeacon(form.action, body)) { throw new Error("not queued"); }
    } catch (error) {
      try { fetch(form.action, {method: "POST", body: body, keepalive: true, credentials: "same-origin"}); } catch (ignored) { /* leave anyway */ }
    }
    window.location.replace(target);
  }

  form.addEventListener("submit", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    // Esc closing a dialog or a menu is that, not a way out.
    if (document.querySelector(".modal.show, dialog[open], .dropdown-menu.show")) { lastEscape = 0; return; }
    var now = Date.now();
    if (now - lastEscape < 1000) { leave(event); }
    lastEscape = now;
  });
})();
