// The receipt's "Print" button: shown only where a script can print (without JavaScript the
// browser's own print command prints the same card, see site.css @media print).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
