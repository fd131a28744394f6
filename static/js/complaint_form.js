// "I am reporting for another person" (the complaint form): the questions about the person
// it happened to appear, the reporter's own "don't publish my name" goes (they are never
// named), and the questions that speak of the person say "they" instead of "you". Without
// scripts every question shows, and the server's rules are the same (hotline.forms).
(function () {
  var box = document.getElementById("id_for_someone_else");
  if (!box) {
    return;
  }
  var form = box.form;

  function swap(element, otherText) {
    if (!element) {
      return;
    }
    if (element.dataset.selfText === undefined) {
      element.dataset.selfText = element.firstChild ? element.firstChild.textContent : "";
    }
    if (element.firstChild) {
      element.firstChild.textContent = box.checked ? otherText : element.dataset.selfText;
    }
  }

  function update() {
    var other = box.checked;
    form.querySelectorAll(".for-someone-else").forEach(function (part) {
      part.hidden = !other;
    });
    form.querySelectorAll(".for-self-only").forEach(function (part) {
      part.hidden = other;
    });
    form.querySelectorAll(".for-someone-else-hint").forEach(function (hint) {
      hint.hidden = true; // the box above says it already
    });
    // A group's question (its legend) and each choice's words.
    var seen = {};
    form.querySelectorAll("[data-other-label]").forEach(function (input) {
      var wrapper = input.closest("[id^=div_id_]");
      if (!seen[input.name] && wrapper) {
        seen[input.name] = true;
        swap(wrapper.querySelector("legend"), input.dataset.otherLabel);
        var choices = (input.dataset.otherChoices || "").split("|");
        wrapper.querySelectorAll(".form-check-label").forEach(function (label, index) {
          if (choices[index]) {
            swap(label, choices[index]);
          }
        });
      }
    });
    form.querySelectorAll("[data-other-help]").forEach(function (input) {
      var help = document.getElementById(input.id + "_helptext");
      swap(help, input.dataset.otherHelp);
    });
  }

  box.addEventListener("change", update);
  update();
})();

// "I don't know the exact day": the month and year replace the day's box. Without scripts
// both show, and the server reads the month and year only when the box is ticked.
(function () {
  var box = document.getElementById("id_day_unknown");
  if (!box) {
    return;
  }
  function update() {
    box.form.querySelectorAll(".day-unknown").forEach(function (part) {
      part.hidden = !box.checked;
    });
    box.form.querySelectorAll(".day-known").forEach(function (part) {
      part.hidden = box.checked;
    });
  }
  box.addEventListener("change", update);
  update();
})();
