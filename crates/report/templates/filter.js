(function () {
  "use strict";
  var bar = document.getElementById("filter");
  if (!bar) return;
  bar.hidden = false;
  var boxes = bar.querySelectorAll("input[type=checkbox]");
  var text = document.getElementById("filter-text");
  function apply() {
    var shown = {};
    boxes.forEach(function (b) { shown[b.value] = b.checked; });
    var needle = text.value.trim().toLowerCase();
    document.querySelectorAll("section.account-findings").forEach(function (group) {
      var visible = 0;
      group.querySelectorAll("article.finding").forEach(function (f) {
        var ok = shown[f.dataset.severity] === true &&
          (needle === "" || f.textContent.toLowerCase().indexOf(needle) !== -1);
        f.hidden = !ok;
        if (ok) visible += 1;
      });
      group.hidden = visible === 0;
    });
  }
  bar.addEventListener("input", apply);
  bar.addEventListener("change", apply);
  // The form only filters; submitting it would navigate away (and the CSP forbids it).
  bar.addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
