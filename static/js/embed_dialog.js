// The statistics page's "Embed" dialogs: a button copies a snippet (without script the
// text areas are there to select and copy by hand).
(function () {
  "use strict";
  document.querySelectorAll(".embed-copy").forEach(function (button) {
    var area = document.getElementById(button.getAttribute("data-copy"));
    if (!area) {
      return;
    }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      area.select();
      var done = function () {
        button.textContent = button.getAttribute("data-done") || "✓";
        window.setTimeout(function () {
          button.textContent = label;
        }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
