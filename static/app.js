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
})();
