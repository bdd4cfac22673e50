/* The consultation form saves each field as it is entered. Saves wait in a queue (kept on the
   phone for text, in memory for photos) and are retried until the server has them; a retry
   cannot duplicate anything: the server keeps a field by its value and a photo by its hash. */
(function () {
  "use strict";
  var root = document.querySelector("[data-visit-form]");
  if (!root) return;
  var base = root.dataset.base;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var KEY = "visit-queue:" + root.dataset.visit;
  var queue = [];
  try { queue = JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { queue = []; }
  var photos = [];
  var busy = false;
  var timer = null;

  function persist() { localStorage.setItem(KEY, JSON.stringify(queue)); }
  function section(cp) { return document.getElementById("cp-" + cp); }
  function mark(cp, text, cls) {
    var el = section(cp) && section(cp).querySelector(".save-status");
    if (el) { el.textContent = text; el.className = "save-status " + cls; }
  }
  function pending(cp) {
    return queue.some(function (q) { return q.checkpoint == cp; }) ||
      photos.some(function (p) { return p.checkpoint == cp; });
  }
  function overall() {
    var n = queue.length + photos.length;
    document.getElementById("sync-status").textContent =
      n ? root.dataset.pending.replace("{n}", n) : "";
    root.dataset.pendingCount = String(n);
  }
  function valueOf(el) {
    var box = el.closest("[data-checkpoint]");
    var field = el.dataset.field;
    if (field === "methods") {
      return Array.prototype.map.call(
        box.querySelectorAll("[data-field=methods]:checked"), function (i) { return i.value; });
    }
    if (el.type === "radio") {
      var c = box.querySelector("[data-field=" + field + "]:checked");
      return c ? c.value : "";
    }
    return el.value;
  }
  function enqueue(cp, field, value) {
    queue = queue.filter(function (q) { return !(q.checkpoint == cp && q.field === field); });
    queue.push({ checkpoint: cp, field: field, value: value });
    persist();
    mark(cp, root.dataset.saving, "saving");
    overall();
    flush();
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(flush, 3000);
  }
  function refused(cp, response) {
    return response.json().then(function (body) {
      var text = (body.reasons || []).map(function (r) { return r.message || r.text || ""; }).join("; ");
      mark(cp, text || response.statusText, "error");
    }, function () { mark(cp, response.statusText, "error"); });
  }
  function sendField(item) {
    return fetch(base + item.checkpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ field: item.field, value: item.value })
    }).then(function (response) {
      if (response.status >= 500) throw new Error("server");
      queue = queue.filter(function (q) { return q !== item; });
      persist();
      if (!response.ok) return refused(item.checkpoint, response);
      if (!pending(item.checkpoint)) mark(item.checkpoint, root.dataset.saved, "saved");
    });
  }
  function sendPhoto(item) {
    var body = new FormData();
    body.append("photo", item.file, item.file.name || "photo.jpg");
    return fetch(base + item.checkpoint + "/photos", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      body: body
    }).then(function (response) {
      if (response.status >= 500) throw new Error("server");
      photos = photos.filter(function (p) { return p !== item; });
      if (!response.ok) return refused(item.checkpoint, response);
      return response.json().then(function (data) {
        var box = section(item.checkpoint).querySelector(".photos");
        if (!box.querySelector('[data-photo-id="' + data.photo.id + '"]')) {
          var img = document.createElement("img");
          img.src = data.photo.url;
          img.dataset.photoId = data.photo.id;
          img.alt = "";
          box.appendChild(img);
        }
        if (!pending(item.checkpoint)) mark(item.checkpoint, root.dataset.saved, "saved");
      });
    });
  }
  function flush() {
    if (busy) return;
    var item = queue[0] ? { kind: "field", it: queue[0] } : (photos[0] ? { kind: "photo", it: photos[0] } : null);
    overall();
    if (!item) return;
    busy = true;
    (item.kind === "field" ? sendField(item.it) : sendPhoto(item.it)).then(function () {
      busy = false;
      flush();
    }, function () {
      // No connection (or the server failed): keep everything queued and try again.
      busy = false;
      queue.concat(photos).forEach(function (q) { mark(q.checkpoint, root.dataset.waiting, "waiting"); });
      later();
    });
  }

  // Values still waiting from an earlier visit to this page are shown as typed, then sent.
  queue.forEach(function (q) {
    var box = section(q.checkpoint);
    if (!box) return;
    box.querySelectorAll('[data-field="' + q.field + '"]').forEach(function (el) {
      if (el.type === "checkbox") el.checked = q.value.indexOf(el.value) >= 0;
      else if (el.type === "radio") el.checked = el.value === q.value;
      else el.value = q.value || "";
    });
  });

  var typing = {};
  root.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.dataset.field || el.type === "checkbox" || el.type === "radio") return;
    var cp = el.closest("[data-checkpoint]").dataset.checkpoint;
    var key = cp + el.dataset.field;
    clearTimeout(typing[key]);
    typing[key] = setTimeout(function () { enqueue(cp, el.dataset.field, valueOf(el)); }, 600);
  });
  root.addEventListener("change", function (e) {
    var el = e.target;
    var cp = el.closest("[data-checkpoint]") && el.closest("[data-checkpoint]").dataset.checkpoint;
    if (!cp) return;
    if (el.dataset.photo !== undefined) {
      Array.prototype.forEach.call(el.files, function (file) { photos.push({ checkpoint: cp, file: file }); });
      el.value = "";
      mark(cp, root.dataset.saving, "saving");
      flush();
      return;
    }
    if (!el.dataset.field) return;
    clearTimeout(typing[cp + el.dataset.field]);
    enqueue(cp, el.dataset.field, valueOf(el));
  });
  window.addEventListener("online", flush);
  flush();
})();
