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
