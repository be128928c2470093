// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Show the event's time in the visitor's own time zone next to the official one, unless
  // the visitor's clock reads the same as the event's at both ends (same offset).
  function showLocalTimes() {
    var nodes = document.querySelectorAll("[data-local-time]");
    if (!nodes.length || !window.Intl || !Intl.DateTimeFormat) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    // The zone named by its city, as the official line does ("America/New_York" -> "New York").
    var city = zone.indexOf("/") > 0 ? zone.split("/").pop().replace(/_/g, " ") : zone;
    nodes.forEach(function (node) {
      var start = new Date(node.getAttribute("data-start"));
      var end = new Date(node.getAttribute("data-end"));
      if (isNaN(start) || isNaN(end)) return;
      var sameAsEvent = -start.getTimezoneOffset() === parseInt(node.getAttribute("data-offset-start"), 10) &&
        -end.getTimezoneOffset() === parseInt(node.getAttribute("data-offset-end"), 10);
      if (sameAsEvent) return;
      var lang = node.getAttribute("data-lang") || document.documentElement.lang || "en";
      // Same conventions as the official time: international English has a 24-hour clock.
      if (lang === "en") lang = "en-GB";
      var day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
      var time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
      var sameDay = day.format(start) === day.format(end);
      node.textContent = node.getAttribute("data-label") + " " + day.format(start) + ", " +
        time.format(start) + " – " + (sameDay ? "" : day.format(end) + ", ") + time.format(end) +
        (city && city !== "UTC" ? " (" + city + ")" : "");
      node.hidden = false;
    });
  }

  // After a failed submit, move focus to the error summary so screen readers announce it.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  // Prevent accidental double submission (the server copes either way).
  function guardDoubleSubmit() {
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        // The button pressed (a form may have several, e.g. export and erase).
        var button = event.submitter || form.querySelector("button[type=submit]");
        if (button) {
          window.setTimeout(function () { button.disabled = true; }, 0);
          // A download leaves the page in place: the button must not stay dead.
          window.setTimeout(function () { button.disabled = false; }, 5000);
        }
      });
    });
    // Back/forward cache restores a page as it was left, buttons disabled included.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      document.querySelectorAll("form button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showLocalTimes();
    focusErrorSummary();
    guardDoubleSubmit();
  });
})();
