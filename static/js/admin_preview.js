// The incident editor's live preview: the server renders the lead and body with the public
// page's Markdown and sanitiser (admin:incidents_incident_preview) a moment after typing stops.
// The admin loads it in <head>: it starts once the page is parsed.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("live-preview");
  var form = box && box.closest("form");
  if (!form) return;
  var timer = null;
  function field(name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value : "";
  }
  function refresh() {
    var data = new FormData();
    ["title", "lead", "body", "csrfmiddlewaretoken"].forEach(function (name) {
      data.append(name, field(name));
    });
    fetch(box.dataset.url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; });
  }
  ["title", "lead", "body"].forEach(function (name) {
    var input = form.querySelector("[name=" + name + "]");
    if (input) input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  });
  if (field("body")) refresh();
});
