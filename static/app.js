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

// The "All" checkbox in the leads table's header ticks or unticks every lead on the page; ticking rows one by one
// keeps it in step (ticked when all are, mixed when some are). Without JavaScript a link reloads the page all ticked.
document.addEventListener("change", function (event) {
  "use strict";
  var box = event.target;
  if (!box.matches || !box.matches("input[type=checkbox]")) { return; }
  var all = box.matches("[data-select-all]") ? box : document.querySelector("input[data-select-all='" + box.getAttribute("form") + "']");
  if (!all) { return; }
  var rows = document.querySelectorAll("input[type=checkbox][form='" + all.dataset.selectAll + "']");
  if (box === all) { rows.forEach(function (row) { row.checked = all.checked; }); }
  var ticked = Array.prototype.filter.call(rows, function (row) { return row.checked; }).length;
  all.checked = ticked > 0 && ticked === rows.length;
  all.indeterminate = ticked > 0 && ticked < rows.length;
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

// A field's maxlength is the limit the server keeps. Typing stops there, but a longer paste is let in whole (the
// browser would cut it without a word): the server then refuses it, says the limit and shows it all back.
document.addEventListener("beforeinput", function (event) {
  "use strict";
  var field = event.target;
  var text = event.data || (event.dataTransfer && event.dataTransfer.getData("text/plain")) || "";
  // One keystroke is one character: only a paste, a drop or an insertion of many characters is let past the limit.
  if (!field.matches || !field.matches("input[maxlength], textarea[maxlength]") || text.length < 2) { return; }
  var chosen = (field.selectionEnd || 0) - (field.selectionStart || 0);
  if (field.value.length - chosen + text.length > field.maxLength) {
    field.dataset.maxlength = field.maxLength;
    field.removeAttribute("maxlength");
  }
});
