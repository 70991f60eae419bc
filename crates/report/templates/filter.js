(function () {
  "use strict";
  // Report values reach this script only through data attributes and textContent, and it
  // writes only textContent and properties: nothing it does can turn a value into markup.
  var groups = Array.prototype.slice.call(document.querySelectorAll("tbody.fg"));
  var low = document.getElementById("findings-low");
  var form = document.getElementById("filter");
  var clear = null;

  function openAncestors(el) {
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
  }

  if (form) {
    form.hidden = false;
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=severity]"));
    var text = document.getElementById("filter-text");
    var account = document.getElementById("filter-account");
    var change = document.getElementById("filter-change");
    var status = document.getElementById("filter-status");
    var apply = function () {
      var shown = {};
      var every = true;
      boxes.forEach(function (b) { shown[b.value] = b.checked; if (!b.checked) every = false; });
      var needle = text.value.trim().toLowerCase();
      var who = account.value.trim().toLowerCase();
      var what = change.value;
      var visible = 0;
      var lowVisible = 0;
      groups.forEach(function (g) {
        var d = g.dataset;
        var ok = shown[d.severity] === true &&
          (who === "" || d.account.toLowerCase().indexOf(who) === 0 ||
            (d.accountName || "").toLowerCase().indexOf(who) !== -1) &&
          (what === "" || d.change === what) &&
          (needle === "" || g.textContent.toLowerCase().indexOf(needle) !== -1);
        g.hidden = !ok;
        if (ok) {
          visible += 1;
          if (d.severity === "low" || d.severity === "info") lowVisible += 1;
        }
      });
      var filtered = !every || needle !== "" || who !== "" || what !== "";
      if (low && filtered && lowVisible > 0) low.open = true;
      status.textContent = filtered
        ? "Showing " + visible + " of " + groups.length + " resources"
        : groups.length + " resources";
    };
    clear = function () {
      boxes.forEach(function (b) { b.checked = true; });
      text.value = "";
      account.value = "";
      change.value = "";
      apply();
    };
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    // The form only filters; submitting it would navigate away (and the CSP forbids it).
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    document.getElementById("filter-clear").addEventListener("click", clear);
    // A count in the account × severity matrix filters the findings to it.
    document.addEventListener("click", function (e) {
      var cell = e.target && e.target.closest ? e.target.closest("a.mx") : null;
      if (!cell) return;
      var severity = cell.dataset.severity;
      boxes.forEach(function (b) { b.checked = !severity || b.value === severity; });
      account.value = cell.dataset.account || "";
      text.value = "";
      change.value = "";
      apply();
    });
    apply();
  }

  // Sortable matrix: numbers most first on the first click, text A to Z.
  var matrix = document.getElementById("matrix-table");
  if (matrix && matrix.tBodies.length > 0) {
    var body = matrix.tBodies[0];
    var heads = Array.prototype.slice.call(matrix.querySelectorAll("thead th"));
    matrix.querySelectorAll("button.sort").forEach(function (button) {
      button.addEventListener("click", function () {
        var col = Number(button.dataset.col);
        var numeric = button.dataset.type === "num";
        var th = button.parentElement;
        var current = th.getAttribute("aria-sort");
        var descending = current ? current === "ascending" : numeric;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var v = row.cells[col] ? row.cells[col].dataset.v || "" : "";
          return numeric ? Number(v) : v;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = x < y ? -1 : x > y ? 1 : 0;
          if (descending) c = -c;
          // Ties stay in account order whichever way the column sorts.
          if (c === 0) c = a.dataset.account < b.dataset.account ? -1 : 1;
          return c;
        });
        var fragment = document.createDocumentFragment();
        rows.forEach(function (r) { fragment.appendChild(r); });
        body.appendChild(fragment);
      });
    });
  }

  // A link to a finding opens what hides it: a collapsed table, or a filter that left it out.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    var group = target.closest ? target.closest("tbody.fg") : null;
    if (group && group.hidden && clear) clear();
    openAncestors(target);
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  reveal();

  // On paper the whole triage list prints; the folded part is unfolded for it, then again
  // as it was.
  var later = document.getElementById("triage-later");
  var wasOpen = false;
  window.addEventListener("beforeprint", function () {
    if (!later) return;
    wasOpen = later.open;
    later.open = true;
  });
  window.addEventListener("afterprint", function () {
    if (later) later.open = wasOpen;
  });
})();
