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
