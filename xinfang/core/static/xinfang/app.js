// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function updateRepresentativeWarning() {
    var warning = document.getElementById("rep-warning");
    if (!warning) return;
    var checked = document.querySelectorAll('#people input[name$="is_representative"]:checked').length;
    warning.hidden = checked <= 5;
  }

  function focusNewestPerson() {
    var newest = document.querySelector(".person.newest input[name$='-name']");
    if (newest) newest.focus();
  }

  // Alt+<key> clicks the element marked data-shortcut="<key>" (the hint is shown beside it).
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) return;
    var target = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (!target) return;
    event.preventDefault();
    target.click();
  });

  // Typing is activity: tell the server at most every 5 minutes, so a long form is not lost
  // to the idle timeout. An idle browser sends nothing and still times out.
  var lastPing = Date.now();
  document.addEventListener("input", function () {
    var url = document.body.getAttribute("data-keepalive");
    if (!url || Date.now() - lastPing < 5 * 60 * 1000) return;
    lastPing = Date.now();
    fetch(url, { credentials: "same-origin" });
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches('input[name$="is_representative"]')) {
      updateRepresentativeWarning();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    updateRepresentativeWarning();
    focusNewestPerson();
  });
})();
