// The duty desk's dashboard brings itself up to date every minute, as the meta refresh it
// replaces did, but the person on shift can switch it off (WCAG 2.2.1, timing adjustable:
// a forced refresh was axe-core's one serious finding on the admin), and it waits while
// they are typing or the tab is hidden. The choice is kept in this browser.
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  if (!box) { return; }
  var KEY = "imi-desk-auto-refresh";
  var SECONDS = 60;
  try { box.checked = window.localStorage.getItem(KEY) !== "off"; } catch (e) { /* private mode */ }
  box.addEventListener("change", function () {
    try { window.localStorage.setItem(KEY, box.checked ? "on" : "off"); } catch (e) { /* ignore */ }
  });
  window.setInterval(function () {
    var busy = document.activeElement && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)
      && document.activeElement !== box;
    if (box.checked && !busy && document.visibilityState === "visible") {
      window.location.reload();
    }
  }, SECONDS * 1000);
}());
