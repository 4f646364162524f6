// htmx does not swap error responses: say so instead of leaving the page silently unchanged.
(function () {
  "use strict";
  function show() {
    var banner = document.getElementById("htmx-error");
    if (banner) { banner.hidden = false; }
  }
  function hide() {
    var banner = document.getElementById("htmx-error");
    if (banner) { banner.hidden = true; }
  }
  document.addEventListener("htmx:responseError", show);
  document.addEventListener("htmx:sendError", show);
  document.addEventListener("htmx:afterSwap", hide);

  // Copy buttons beside long ids: hidden without JavaScript (the full value is still on hover and selectable).
  function revealCopyButtons(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { revealCopyButtons(document); });
  document.addEventListener("htmx:afterSettle", function (event) { revealCopyButtons(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy[data-copy]");
    if (!button || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
  });
})();

// "All" in the leads table's header ticks every lead on the page in place (without JavaScript it reloads the
// page with them all ticked); a second click unticks them.
document.addEventListener("click", function (event) {
  "use strict";
  var link = event.target.closest && event.target.closest("a[data-select-all]");
  if (!link) { return; }
  event.preventDefault();
  var boxes = document.querySelectorAll("input[type=checkbox][form='" + link.dataset.selectAll + "']");
  var tick = Array.prototype.some.call(boxes, function (box) { return !box.checked; });
  boxes.forEach(function (box) { box.checked = tick; });
});

// A select marked data-enter-saves saves its form on Enter, as a text field does; arrowing through its options
// changes nothing until then (or until the Save button beside it is pressed).
document.addEventListener("keydown", function (event) {
  "use strict";
  var select = event.target;
  if (event.key !== "Enter" || !select.matches || !select.matches("select[data-enter-saves]") || !select.form) { return; }
  event.preventDefault();
  select.form.requestSubmit();
});
