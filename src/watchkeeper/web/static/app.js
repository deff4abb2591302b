// Watchkeeper dashboard: draws the Vega-Lite charts and runs the queue's keyboard
// shortcuts. No inline scripts (the pages' Content-Security-Policy allows none).
(function () {
  "use strict";
  var scheme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)");
  var dark = Boolean(scheme && scheme.matches);

  function drawCharts(root) {
    if (typeof vegaEmbed !== "function") { return; }
    root.querySelectorAll("div.vega[data-spec]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.spec);
      if (!source) { return; }
      el.dataset.drawn = "1";
      // expressions interpreted, not compiled: the pages' CSP allows no eval
      var options = {actions: false, renderer: "svg", ast: true,
                     expr: vega.expressionInterpreter};
      if (dark) { options.theme = "dark"; }
      vegaEmbed(el, JSON.parse(source.textContent), options).then(function () {
        el.dataset.rendered = "1";    // what the benchmark and the screenshots wait for
      }).catch(function (err) {
        el.textContent = "The chart could not be drawn: " + err.message;
      });
    });
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.alert-row")); }

  function current() {
    var active = document.activeElement;
    if (active && active.classList && active.classList.contains("alert-row")) { return active; }
    return document.querySelector("tr.alert-row.current");
  }

  function focusRow(row) {
    rows().forEach(function (r) { r.classList.remove("current"); });
    if (row) { row.classList.add("current"); row.focus(); }
  }

  function chooseOnly(row) {
    document.querySelectorAll("#bulk input[name=alert]").forEach(function (box) {
      box.checked = row !== null && box.value === row.dataset.id;
    });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    var list = rows();
    if (!list.length) { return; }
    var row = current();
    var at = row ? list.indexOf(row) : -1;
    if (ev.key === "j") { focusRow(list[Math.min(at + 1, list.length - 1)]); }
    else if (ev.key === "k") { focusRow(list[Math.max(at - 1, 0)]); }
    else if ((ev.key === "o" || (ev.key === "Enter" && ev.target === row)) && row) {
      window.location.href = row.dataset.href;
    }
    else if (ev.key === "x" && row) {
      var box = row.querySelector("input[name=alert]");
      if (box) { box.checked = !box.checked; }
    }
    else if (ev.key === "a" && row) {
      chooseOnly(row);
      document.getElementById("b-assignee").value = "";
      document.getElementById("do-assign").click();
    }
    else if (ev.key === "s" && row) {
      chooseOnly(row);
      document.getElementById("b-reason").focus();
    }
    else { return; }
    ev.preventDefault();
  });

  // Enter in a bulk field submits that field's action, not the form's first button
  var ENTER_ACTIONS = {"b-reason": "do-suppress", "b-expires": "do-suppress",
                       "b-title": "do-group", "b-assignee": "do-assign"};
  document.addEventListener("keydown", function (ev) {
    var action = ev.key === "Enter" && ev.target && ENTER_ACTIONS[ev.target.id];
    if (action) {
      ev.preventDefault();
      document.getElementById(action).click();
    }
  });

  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.id === "choose-all") {
      document.querySelectorAll("#bulk input[name=alert]").forEach(function (box) {
        box.checked = ev.target.checked;
      });
    }
  });

  // an HTMX request refused (a bad filter value, a session ended): say so above the
  // table instead of leaving it as it was without a word
  document.addEventListener("htmx:responseError", function (ev) {
    var target = document.getElementById("queue");
    if (!target) { return; }
    var note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    var found = /<p class="error"[^>]*>([^<]*)<\/p>/.exec(ev.detail.xhr.responseText || "");
    note.textContent = found ? found[1] : "The server refused: " + ev.detail.xhr.status;
    target.prepend(note);
  });

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  if (scheme && scheme.addEventListener) {
    // the system switched between light and dark: draw the charts again in its colours
    scheme.addEventListener("change", function (ev) {
      dark = ev.matches;
      document.querySelectorAll("div.vega[data-drawn]").forEach(function (el) {
        delete el.dataset.drawn;
        el.textContent = "";
      });
      drawCharts(document);
    });
  }
  document.addEventListener("htmx:afterSwap", function (ev) { drawCharts(ev.target); });
}());
