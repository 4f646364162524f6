// Live retention countdowns: the server renders the text; this ticks the last two days down each second
// without asking the server. It needs no inline script and no eval (the page's CSP forbids both).
// Time is the server's: the page carries the server's clock (<meta name="server-time">) and this keeps the
// offset between it and the browser's, so a PC whose clock is wrong, or a test whose server clock is pinned,
// still counts down from the server's truth. Only the browser's elapsed time is used.
(function () {
  "use strict";
  var served = document.querySelector('meta[name="server-time"]');
  var serverTime = served ? Date.parse(served.content) : NaN;
  // The offset is taken once, when the page arrives; fragments swapped in later share the same offset.
  var offset = isNaN(serverTime) ? 0 : serverTime - Date.now();
  // Scripts run: hide the Save buttons that only JavaScript-less browsers need (htmx submits on change).
  document.documentElement.classList.add("js");
  var DAY = 86400;
  function unit(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function words(seconds) {
    var parts = [[Math.floor(seconds / DAY), "day"], [Math.floor(seconds % DAY / 3600), "hour"],
                 [Math.floor(seconds % 3600 / 60), "minute"], [seconds % 60, "second"]];
    var shown = parts.filter(function (p) { return p[0] > 0; }).slice(0, 2);
    return shown.map(function (p) { return unit(p[0], p[1]); }).join(" ");
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Math.ceil((Date.parse(el.dataset.deadline) - now) / 1000);
      if (left > 2 * DAY) { return; }  // calendar wording ("2 years 3 months") stays as the server wrote it
      if (left <= 0) {
        el.textContent = "due for destruction now";
        el.className = "countdown countdown-due";
        el.removeAttribute("data-deadline");
      } else {
        el.textContent = words(left);
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
