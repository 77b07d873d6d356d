// andon console: refresh live regions without a full reload, and guard forms against
// double submission. No framework, no external files.
(function () {
  "use strict";
  var every = parseInt(document.body.dataset.liveEvery || "0", 10);
  var banner = document.getElementById("banner");

  function say(html) {
    if (!banner) return;
    banner.innerHTML = html;
    banner.hidden = false;
  }

  // A form being edited is never replaced: a field with focus, one whose text differs from
  // what the page was served with (a reason typed, then the field left), or a form sent.
  function editing(live) {
    if (live.querySelector("input:focus, textarea:focus, select:focus, form.busy")) return true;
    var fields = live.querySelectorAll("input:not([type=hidden]), textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) return true;
    }
    return false;
  }

  function held(live) {
    live.dataset.held = String(parseInt(live.dataset.held || "0", 10) + 1);
  }

  function refresh() {
    var live = document.getElementById("live");
    if (!live || !live.hasAttribute("data-live") || document.hidden) return;
    if (editing(live)) { held(live); return; }
    fetch(window.location.href, { headers: { "X-Andon-Partial": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) {
          say('Your session has expired. <a href="/login?next=' +
              encodeURIComponent(window.location.pathname + window.location.search) + '">Log in again</a>.');
          return null;
        }
        if (!response.ok) return null;
        return response.text();
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        // Someone may have started typing while the page was on its way.
        if (editing(live)) { held(live); return; }
        live.innerHTML = html;
        live.dataset.refreshed = String(Date.now());
        guardForms(live);
      })
      .catch(function () { /* the server may be restarting; try again next tick */ });
  }

  function guardForms(root) {
    root.querySelectorAll("form").forEach(function (form) {
      if (form.dataset.guarded) return;
      form.dataset.guarded = "1";
      form.addEventListener("submit", function (event) {
        if (form.classList.contains("busy")) { event.preventDefault(); return; }
        form.classList.add("busy");
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    guardForms(document);
    if (every > 0) window.setInterval(refresh, every * 1000);
  });
})();
