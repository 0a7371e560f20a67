// liputan: the Unggah page. Sends picked files to /api/uploads in chunks
// (PATCH with Upload-Offset), one file at a time. The server keeps whatever
// it received, so after a network error the page asks where the upload
// stands (GET) and goes on from there, with exponential back-off; after a
// few failed tries the file waits for the "Lanjutkan" button. Upload ids are
// remembered in localStorage so that picking the same file again (after a
// reload, or on another tab) resumes instead of starting over.
"use strict";

(function () {
  var form = document.getElementById("unggah");
  if (!form) return;
  var input = document.getElementById("unggah-berkas");
  var summary = document.getElementById("unggah-ringkasan");
  var totalBar = document.getElementById("unggah-total");
  var statusText = document.getElementById("unggah-status");
  var resumeButton = document.getElementById("unggah-lanjut");
  var list = document.getElementById("unggah-daftar");
  var API = form.dataset.upload;
  var MAX = Number(form.dataset.max) || Infinity;
  var TRIES = 5;
  var STORE = "liputan-unggah:";
  var KEEP_MS = 2 * 24 * 3600 * 1000;

  var items = [];
  var running = false;

  totalBar.style.width = "100%";

  // app.css gives buttons a display, which beats the hidden attribute.
  function shown(el, yes) {
    el.hidden = !yes;
    el.style.display = yes ? "" : "none";
  }
  shown(resumeButton, false);

  function sizeText(n) {
    if (n >= 1024 * 1024 * 1024) return (n / 1024 / 1024 / 1024).toFixed(1).replace(".", ",") + " GB";
    if (n >= 1024 * 1024) return (n / 1024 / 1024).toFixed(1).replace(".", ",") + " MB";
    return Math.max(1, Math.ceil(n / 1024)) + " KB";
  }

  // Read at each use, so that a test can make chunks small and waits short.
  function chunkSize() { return Number(form.dataset.chunk) || 8 * 1024 * 1024; }
  function backoffMs() { return Number(form.dataset.backoff) || 1000; }

  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }

  // Remembered upload ids, by file identity.
  function fileKey(file) { return STORE + file.name + ":" + file.size + ":" + file.lastModified; }
  function remembered(file) {
    try {
      var v = JSON.parse(localStorage.getItem(fileKey(file)) || "null");
      return v && v.id ? v.id : null;
    } catch (e) { return null; }
  }
  function remember(file, id) {
    try { localStorage.setItem(fileKey(file), JSON.stringify({ id: id, t: Date.now() })); } catch (e) { /* private mode */ }
  }
  function forget(file) {
    try { localStorage.removeItem(fileKey(file)); } catch (e) { /* private mode */ }
  }
  function pruneRemembered() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var k = localStorage.key(i);
        if (!k || k.indexOf(STORE) !== 0) continue;
        var v = JSON.parse(localStorage.getItem(k) || "null");
        if (!v || !v.t || Date.now() - v.t > KEEP_MS) localStorage.removeItem(k);
      }
    } catch (e) { /* nothing to prune */ }
  }

  // A failure that retrying will not fix (shown as is).
  function Fatal(message) { this.message = message; }

  async function call(method, url, body, headers) {
    var reply = await fetch(url, {
      method: method,
      headers: Object.assign({ "Accept": "application/json" }, headers || {}),
      body: body,
      credentials: "same-origin",
      cache: "no-store",
    });
    var data = {};
    try { data = await reply.json(); } catch (e) { data = {}; }
    return { status: reply.status, ok: reply.ok, data: data || {} };
  }

  function explain(reply) {
    var why = (reply.data && reply.data.error) || "";
    switch (reply.status) {
      case 401: return "Sesi berakhir; silakan masuk lagi di tab lain, lalu tekan Lanjutkan.";
      case 403: return "Anda tidak diizinkan mengunggah.";
      case 404: return "Unggahan tidak ditemukan di server (mungkin kedaluwarsa); pilih berkas ini lagi.";
      case 413: return "Berkas terlalu besar (" + why + ").";
      case 507: return "Ruang disk server penuh; hubungi admin.";
      default: return why ? "Ditolak: " + why : "Gagal (" + reply.status + ").";
    }
  }

  function transient(status) { return status === 408 || status === 409 || status === 429 || status >= 500 && status !== 507; }

  function addFile(file) {
    var li = document.createElement("li");
    var name = document.createElement("div");
    name.textContent = file.name + " · " + sizeText(file.size);
    var bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.style.width = "100%";
    var note = document.createElement("div");
    note.className = "muted";
    note.textContent = "Menunggu";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(note);
    list.appendChild(li);
    var item = { file: file, id: null, offset: 0, state: "waiting", bar: bar, note: note, li: li };
    if (file.size > MAX) fail(item, "Berkas melebihi batas " + sizeText(MAX) + ".");
    else if (file.size === 0) fail(item, "Berkas kosong.");
    items.push(item);
  }

  function show(item, text, cls) {
    item.note.textContent = text;
    item.note.className = cls || "muted";
    item.bar.value = item.offset;
    overall();
  }

  function fail(item, text) {
    item.state = "failed";
    show(item, text, "error");
  }

  function overall() {
    var size = 0, sent = 0, done = 0, stopped = 0, failed = 0;
    items.forEach(function (it) {
      size += it.file.size;
      sent += it.state === "done" ? it.file.size : it.offset;
      if (it.state === "done") done++;
      if (it.state === "stopped") stopped++;
      if (it.state === "failed") failed++;
    });
    totalBar.max = size || 1;
    totalBar.value = sent;
    var text = done + " dari " + items.length + " berkas selesai · " + sizeText(sent) + " dari " + sizeText(size);
    if (stopped) text += " · " + stopped + " terhenti";
    if (failed) text += " · " + failed + " gagal";
    statusText.textContent = text;
    shown(resumeButton, stopped > 0);
  }

  // Starts (or finds) the upload on the server; sets item.id and item.offset.
  async function open(item) {
    var id = item.id || remembered(item.file);
    if (id) {
      var found = await call("GET", API + "/" + id);
      if (found.ok) {
        item.id = id;
        item.offset = found.data.offset || 0;
        if (found.data.done) item.finished = found.data;
        return;
      }
      if (found.status !== 404) {
        if (transient(found.status)) throw new Error("status " + found.status);
        throw new Fatal(explain(found));
      }
      forget(item.file);
      item.id = null;
    }
    var made = await call("POST", API, JSON.stringify({
      name: item.file.name,
      size: item.file.size,
      last_modified: item.file.lastModified || null,
    }), { "Content-Type": "application/json" });
    if (!made.ok) {
      if (transient(made.status)) throw new Error("status " + made.status);
      throw new Fatal(explain(made));
    }
    item.id = made.data.id;
    item.offset = made.data.offset || 0;
    remember(item.file, item.id);
  }

  // Sends chunks until the server says done. Throws on errors.
  async function send(item) {
    if (!item.id || item.finished === undefined) await open(item);
    while (!item.finished) {
      var end = Math.min(item.offset + chunkSize(), item.file.size);
      var reply = await call("PATCH", API + "/" + item.id, item.file.slice(item.offset, end), {
        "Upload-Offset": String(item.offset),
        "Content-Type": "application/offset+octet-stream",
      });
      if (typeof reply.data.offset === "number") item.offset = reply.data.offset;
      if (reply.ok) {
        item.tries = 0;
        if (reply.data.done) item.finished = reply.data;
        else show(item, "Mengirim… " + Math.floor(100 * item.offset / item.file.size) + "%");
        continue;
      }
      // Gone from the server (expired): the next try starts it again.
      if (reply.status === 404) { forget(item.file); item.id = null; item.offset = 0; }
      if (transient(reply.status) || reply.status === 404 || reply.status === 400 && reply.data.offset !== undefined) {
        throw new Error("status " + reply.status);
      }
      throw new Fatal(explain(reply));
    }
  }

  async function upload(item) {
    item.state = "sending";
    item.tries = 0;
    show(item, "Mengirim…");
    for (;;) {
      try {
        await send(item);
        item.state = "done";
        item.offset = item.file.size;
        var where = item.finished.folder ? item.finished.folder + "/" : "";
        show(item, "Selesai: " + where + item.finished.file_name + ". Muncul di Arsip setelah diproses.", "ok");
        return;
      } catch (e) {
        if (e instanceof Fatal) { fail(item, e.message); return; }
        item.tries = (item.tries || 0) + 1;
        // Ask the server where it stands on the next try.
        item.finished = undefined;
        if (item.tries > TRIES) {
          item.state = "stopped";
          show(item, "Terhenti di " + Math.floor(100 * item.offset / item.file.size) +
            "% (jaringan bermasalah). Tekan Lanjutkan untuk mencoba lagi.", "warn");
          return;
        }
        var wait = Math.min(30000, backoffMs() * Math.pow(2, item.tries - 1)) * (0.75 + Math.random() / 2);
        show(item, "Koneksi terputus; mencoba lagi dalam " + Math.ceil(wait / 1000) + " detik (percobaan " +
          item.tries + " dari " + TRIES + ")…", "warn");
        await sleep(wait);
      }
    }
  }

  async function run() {
    if (running) return;
    running = true;
    overall();
    try {
      for (;;) {
        var next = items.find(function (it) { return it.state === "waiting"; });
        if (!next) break;
        await upload(next);
      }
    } finally {
      running = false;
      overall();
    }
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    summary.hidden = false;
    files.forEach(addFile);
    input.value = "";
    overall();
    run();
  });

  resumeButton.addEventListener("click", function () {
    items.forEach(function (it) {
      if (it.state === "stopped") { it.state = "waiting"; it.tries = 0; show(it, "Menunggu"); }
    });
    run();
  });

  // Back online: stopped files go again by themselves.
  window.addEventListener("online", function () {
    if (items.some(function (it) { return it.state === "stopped"; })) resumeButton.click();
  });

  window.addEventListener("beforeunload", function (event) {
    if (items.some(function (it) { return it.state === "sending" || it.state === "waiting"; })) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  pruneRemembered();
})();
