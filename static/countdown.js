// Live retention countdowns: the server renders the text; this ticks the last two days down each second
// without asking the server. It needs no inline script and no eval (the page's CSP forbids both).
(function () {
  "use strict";
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
    var now = Date.now();
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
