// Disable the submit button once a form is sent, so a double click sends it once.
// (The server also ignores a repeated submission of the same form.)
document.querySelectorAll("form.intake-form").forEach(function (form) {
  form.addEventListener("submit", function () {
    form.querySelectorAll("[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  });
});

// A form sent back with errors: its error summary takes the focus, so a screen reader reads
// it and the keyboard starts from it (autofocus does the same where scripts do not run). Its
// links move the focus to the field and show the field's label too.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      field.focus({ preventScroll: true });
      (field.closest("[id^=div_]") || field).scrollIntoView({ block: "start" });
    });
  });
})();

// A file the form cannot take is caught before sending (a 60 MB video would travel for
// minutes, then be refused): it is taken off the files to send at once, with the server's
// own reason in the page's language (hotline.forms.EvidenceField); the other files and
// everything typed stay. The server checks every file again.
document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
  var note = document.createElement("div");
  note.className = "invalid-feedback d-block";
  note.id = input.id + "_checked";
  note.setAttribute("role", "alert");
  note.hidden = true;
  input.insertAdjacentElement("afterend", note);
  input.addEventListener("change", function () {
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
    var kept = new DataTransfer();
    var reasons = [];
    // Where the page has the large-file route (static/js/uploads.js), a file over the limit
    // is sent there instead of being refused.
    var large = input.form && input.form.querySelector("[data-large-upload]:not([hidden])");
    var moved = [];
    Array.prototype.forEach.call(input.files, function (file) {
      if (file.size > maxBytes && large) {
        moved.push(file);
        reasons.push(large.getAttribute("data-msg-moved").split("{name}").join(file.name));
      } else if (file.size > maxBytes) {
        reasons.push(input.getAttribute("data-too-big").replace("%(name)s", file.name));
      } else {
        kept.items.add(file);
      }
    });
    if (moved.length) {
      large.dispatchEvent(new CustomEvent("large-upload:add", {detail: moved}));
    }
    if (kept.files.length > maxFiles) {
      reasons.push(input.getAttribute("data-too-many")
        .replace("%(max)d", String(maxFiles)).replace("%(count)d", String(kept.files.length)));
      kept = new DataTransfer();
    }
    if (reasons.length) {
      input.files = kept.files;
    }
    note.textContent = reasons.join(" ");
    note.hidden = reasons.length === 0;
  });
});
