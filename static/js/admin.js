// Console enhancements; every page works without this file.
(function () {
  "use strict";

  // "Select all on this page" for bulk actions; keeps its state in step with the rows.
  function selectAll() {
    var master = document.getElementById("select-all");
    if (!master) return;
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=ids]"));
    master.hidden = false;
    function sync() {
      var checked = boxes.filter(function (b) { return b.checked; }).length;
      master.checked = checked > 0 && checked === boxes.length;
      master.indeterminate = checked > 0 && checked < boxes.length;
    }
    master.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = master.checked; });
      sync();
    });
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    sync();
  }

  // Ask before a bulk action touches many people at once.
  function confirmBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      var action = form.querySelector("select[name=action]");
      var count = form.querySelectorAll("input[name=ids]:checked").length;
      if (action && action.value && count > 1 &&
          ["decline", "cancel", "confirm_over_capacity"].indexOf(action.value) !== -1) {
        var label = action.options[action.selectedIndex].text;
        if (!window.confirm(label + ": " + count + "?")) event.preventDefault();
      }
    });
  }

  function printButtons() {
    document.querySelectorAll(".js-print").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // The event form shows the public address the slug makes, as it is typed.
  function slugPreview() {
    var preview = document.getElementById("slug-preview");
    var input = document.getElementById("slug");
    if (!preview || !input) return;
    function show() { preview.textContent = input.value.trim() || preview.getAttribute("data-empty"); }
    input.addEventListener("input", show);
  }

  document.addEventListener("DOMContentLoaded", function () {
    selectAll();
    confirmBulk();
    printButtons();
    slugPreview();
  });
})();
