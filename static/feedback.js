// In-place saves say how they went, beside the control that changed (leads/web/htmx.py sends the words):
// a confirmation after a swap, or the failure when htmx swaps nothing (the select is put back to what the
// record still has). Focus returns to the control after a swap that took it away. What is typed in a form marked data-draft is
// kept in this tab's sessionStorage until it is saved, so an ended session loses nothing: log in again and it
// is put back.
(function () {
  "use strict";
  var control = null;
  var target = null;
  var said = null;
  var LOGIN = "/login";

  function statusFor(element) {
    var holder = (element && element.closest && element.closest("form")) || element;
    if (!holder) { return null; }
    var status = holder.querySelector(".save-status");
    if (!status) {
      status = document.createElement("p");
      status.className = "save-status";
      status.setAttribute("role", "status");
      holder.appendChild(status);
    }
    return status;
  }

  function show(element, message, ok, loginLink) {
    var status = statusFor(element);
    if (!status) { return; }
    status.textContent = message + " ";
    status.classList.toggle("save-ok", ok);
    status.classList.toggle("save-failed", !ok);
    status.setAttribute("role", ok ? "status" : "alert");
    if (loginLink) {
      var link = document.createElement("a");
      link.href = LOGIN + "?next=" + encodeURIComponent(location.pathname + location.search);
      link.textContent = "Log in again";
      status.appendChild(link);
    }
  }

  function putBack(element) {
    var form = element.closest ? element.closest("form") : null;
    (form ? form.querySelectorAll("select") : []).forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) { option.selected = option.defaultSelected; });
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig || {};
    var trigger = config.triggeringEvent && config.triggeringEvent.target;
    var active = document.activeElement;
    var changed = event.detail.elt.querySelector && event.detail.elt.querySelector("select[data-enter-saves]");
    // A Save button (no id) gives the focus back to the select it saved.
    control = (trigger && trigger.id) || (active && active.id) || (changed && changed.id) || event.detail.elt.id || null;
    target = event.detail.target ? event.detail.target.id : null;
    said = null;
  });
  document.addEventListener("leads:said", function (event) { said = event.detail; });
  document.addEventListener("htmx:afterSettle", function () {
    var element = control ? document.getElementById(control) : null;
    // Only when the swap took the focus away (it replaced the focused control): a person who moved on to
    // another field while the request ran keeps their place (search results must never move the focus).
    var lost = !document.activeElement || document.activeElement === document.body;
    if (element && lost) { element.focus({ preventScroll: true }); }
    var swapped = target ? document.getElementById(target) : null;
    var near = element || (swapped && (swapped.querySelector("form") || swapped));
    if (said && near) { show(near, said.message, said.ok, false); }
    said = null;
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
    var message = plain ? xhr.responseText : "Something went wrong and nothing was saved. Please try again.";
    putBack(event.detail.elt);
    show(event.detail.elt, message, false, xhr.status === 401);
  });
  document.addEventListener("htmx:sendError", function (event) {
    putBack(event.detail.elt);
    show(event.detail.elt, "The server could not be reached, so nothing was saved. Please try again.", false, false);
  });

  // Drafts: kept per form (by its action) in this tab until the server accepts the form.
  function key(form) { return "draft:" + form.getAttribute("action"); }
  function fields(form) { return form.querySelectorAll("textarea, input[type=text], input[type=date], input[type=datetime-local], select"); }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-draft]");
    if (!form) { return; }
    var values = {};
    fields(form).forEach(function (field) { values[field.name] = field.value; });
    sessionStorage.setItem(key(form), JSON.stringify(values));
  });
  var drafted = null;  // the draft of the form being sent, forgotten once the server accepts it
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form[data-draft]") : null;
    drafted = form ? key(form) : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (drafted && event.detail.xhr && event.detail.xhr.status < 300) { sessionStorage.removeItem(drafted); }
    drafted = null;
  });
  function restore(root) {
    root.querySelectorAll("form[data-draft]").forEach(function (form) {
      var saved = sessionStorage.getItem(key(form));
      if (!saved) { return; }
      var values = JSON.parse(saved);
      fields(form).forEach(function (field) { if (values[field.name]) { field.value = values[field.name]; } });
      show(form, "What you typed before is back: save it when ready.", true, false);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { restore(document); });
})();
