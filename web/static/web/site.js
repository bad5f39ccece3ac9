// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Filters fold away on a phone; on a wider screen they are simply open.
  if (window.matchMedia("(min-width: 701px)").matches) {
    document.querySelectorAll("details.filter-fold").forEach(function (fold) { fold.open = true; });
  }
  // The acceptance queue: one box selects every case on the page.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var form = box.form;
    box.hidden = false;
    box.addEventListener("change", function () {
      form.querySelectorAll('input[name="case"]').forEach(function (pick) { pick.checked = box.checked; });
    });
  });
})();
