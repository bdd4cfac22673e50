// Live permit page: poll the permit's status and reload when it changed, so state, headcount,
// readings and alarms follow within seconds on every phone, whichever process served it.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (live) {
    var url = live.dataset.url, version = live.dataset.version;
    var every = (parseFloat(live.dataset.poll) || 3) * 1000;
    var busy = function () {
      // Never reload under a thumb that is typing or ticking a form.
      var a = document.activeElement;
      return a && /INPUT|SELECT|TEXTAREA/.test(a.tagName) && a.form && a.form.dataset.touched;
    };
    document.addEventListener("input", function (e) {
      if (e.target.form) e.target.form.dataset.touched = "1";
    });
    // The latest continuous readings, in place: they come every few seconds, too often to reload.
    var showReadings = function (readings) {
      readings.forEach(function (r) {
        var key = r.detector + ":" + r.gas + ":" + r.point;
        live.querySelectorAll("[data-reading]").forEach(function (cell) {
          if (cell.dataset.reading !== key) return;
          cell.firstChild.textContent = Number(r.value.toPrecision(6)) + " ";
          cell.className = r.passed ? "pill-ok" : "pill-bad";
        });
        live.querySelectorAll("[data-reading-at]").forEach(function (cell) {
          if (cell.dataset.readingAt === key) cell.textContent = r.taken_at;
        });
      });
    };
    var tick = function () {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          live.querySelectorAll('[data-live="headcount"]').forEach(function (n) { n.textContent = s.headcount; });
          var alarm = live.querySelector('[data-live="alarm"]');
          if (alarm) alarm.hidden = !s.alarm;
          showReadings(s.monitoring || []);
          // An alarm or a silent detector may leave the version as it was: its signal moves.
          var signal = live.querySelector("[data-live-signal]");
          var moved = signal && s.signal !== undefined && s.signal !== signal.dataset.liveSignal;
          if ((String(s.version) !== String(version) || moved) && !busy()) window.location.reload();
        })
        .catch(function () { /* offline for a moment: try again next tick */ })
        .finally(function () { setTimeout(tick, every); });
    };
    setTimeout(tick, every);
  }

  // Gas test rows: colour each reading at once by the limit (the server still decides).
  var judge = function (row) {
    var input = row.querySelector('input[type="number"]'), unit = row.querySelector("select");
    row.classList.remove("ok", "bad");
    if (!input || input.value === "") return;
    var value = parseFloat(input.value), factors = JSON.parse(row.dataset.factors || "{}");
    var v = value * (factors[unit.value] || 1);
    var min = row.dataset.min === "" ? null : parseFloat(row.dataset.min);
    var max = row.dataset.max === "" ? null : parseFloat(row.dataset.max);
    var strict = row.dataset.strict === "1";
    var ok = isFinite(value) && value >= 0 && (min === null || v >= min) &&
      (max === null || (strict ? v < max : v <= max));
    row.classList.add(ok ? "ok" : "bad");
  };
  document.querySelectorAll(".gas-row").forEach(function (row) {
    row.addEventListener("input", function () { judge(row); });
    row.addEventListener("change", function () { judge(row); });
  });
})();

// On a phone the header's page links scroll sideways: bring the current page's link into view.
(function () {
  "use strict";
  var nav = document.querySelector("header.top nav.main");
  var active = nav && nav.querySelector("a.active");
  if (active && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = active.offsetLeft - (nav.clientWidth - active.offsetWidth) / 2;
  }
})();
