/* The desk pages: the case drawer, the bulk selection, and short polling for changes.
   Polling (not server-sent events) keeps each request short for synchronous web workers. */
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  if (!desk) { return; }
  var panel = document.getElementById("drawer-panel");
  var drawer = document.getElementById("drawer");
  var status = document.getElementById("live-status");
  var opener = null;
  var POLL_MS = 10000;
  var TIMER_REFRESH_POLLS = 6; // re-read the list (and its timers) at least once a minute

  // Refusals (400, 403, 404, 409) come back as a drawer with the message: show them.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var code = event.detail.xhr.status;
    if (code >= 400 && code < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.hasAttribute && source.hasAttribute("data-open-drawer")) {
      opener = source;
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === drawer) {
      panel.hidden = false;
      panel.scrollTop = 0;
      // The answer of an action first (so it is read out), else the case's title.
      var target = drawer.querySelector(".notice, [role=alert], h2") || drawer;
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
      markOpenRow();
    }
  });

  function closeDrawer() {
    panel.hidden = true;
    drawer.innerHTML = "";
    markOpenRow();
    if (opener && document.body.contains(opener)) { opener.focus(); }
  }

  function markOpenRow() {
    var open = drawer.querySelector("[data-case]");
    var id = open ? open.getAttribute("data-case") : null;
    document.querySelectorAll("tr[data-case]").forEach(function (row) {
      row.classList.toggle("is-open", row.getAttribute("data-case") === id);
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-drawer]")) { closeDrawer(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { closeDrawer(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=ids]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
  });

  function selecting() {
    return document.querySelector("input[name=ids]:checked") !== null;
  }

  function refreshList() {
    var url = desk.getAttribute("data-list-url") + window.location.search;
    return htmx.ajax("GET", url, { target: "#queue-panel", swap: "innerHTML" }).then(function () {
      markOpenRow();
      document.dispatchEvent(new CustomEvent("desk:list-refreshed"));
    });
  }

  document.body.addEventListener("desk:refresh", function () { refreshList(); });

  var cursor = null;
  var polls = 0;
  var waiting = false;
  function poll() {
    fetch(desk.getAttribute("data-changes-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        polls += 1;
        var moved = cursor !== null && data.cursor !== cursor;
        cursor = data.cursor;
        if (moved || waiting || polls % TIMER_REFRESH_POLLS === 0) {
          if (selecting()) {
            // Never drop the dispatcher's selection: say there is news and wait.
            waiting = moved || waiting;
            if (waiting && status) { status.textContent = status.getAttribute("data-news"); }
            return;
          }
          waiting = false;
          if (status) { status.textContent = ""; }
          refreshList();
        }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }
  poll();
  window.setInterval(poll, POLL_MS);
})();
