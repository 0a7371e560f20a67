// liputan panel: behaviour of the file pages (Liputan, Triage, Arsip).
// Loaded after app.js on those pages only; forms with data-api are still
// sent by app.js, which fires "api-done" on a form with the reply.
//
// - [data-gallery] a.view: a thumbnail linking to its preview image. A click
//   opens dialog[data-viewer] with the preview (or the video/audio itself),
//   the tile's hidden .info (metadata, download link), prev/next (buttons,
//   arrow keys, swipe) and Esc to close. Without JS the link opens the image.
// - form[data-pick]: its checkbox sends the form when changed.
// - form[data-caption-form]: after saving, every [data-caption-of=<id>]
//   shows the new caption (or the file's own description, muted).
// - input[data-select-all]: checks every file box of its form.
// - form[data-triage]: refuses to send without a checked file and an
//   assignment, and says what will happen in its confirmation.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  var PLAYABLE = /\.(mp4|m4v|mov|mp3|m4a|wav)$/i;

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  function formError(form, text) {
    var box = form.querySelector(".form-error");
    if (box) { box.textContent = text; box.hidden = !text; }
    else if (text) alert(text);
  }

  // ---- the preview viewer -------------------------------------------------

  function setupViewer() {
    var dialog = document.querySelector("dialog[data-viewer]");
    if (!dialog || typeof dialog.showModal !== "function") return;
    var media = dialog.querySelector("[data-viewer-media]");
    var infoBox = dialog.querySelector("[data-viewer-info]");
    var pos = dialog.querySelector("[data-viewer-pos]");
    var links = [];
    var current = -1;
    var opener = null;

    function collect() {
      links = Array.prototype.slice.call(document.querySelectorAll("[data-gallery] a.view"));
    }

    function mediaFor(a) {
      var kind = a.dataset.kind;
      var name = a.dataset.name || "";
      var el;
      if (kind === "video" && PLAYABLE.test(name)) {
        el = document.createElement("video");
        el.controls = true;
        el.preload = "metadata";
        el.poster = a.href;
        el.src = a.dataset.original;
      } else if (kind === "audio" && PLAYABLE.test(name)) {
        el = document.createElement("audio");
        el.controls = true;
        el.preload = "metadata";
        el.src = a.dataset.original;
      } else {
        el = document.createElement("img");
        el.src = a.href;
        el.alt = name;
        el.decoding = "async";
      }
      return el;
    }

    function show(i) {
      if (!links.length) return;
      current = (i + links.length) % links.length;
      var a = links[current];
      media.textContent = "";
      media.appendChild(mediaFor(a));
      infoBox.textContent = "";
      var tile = a.closest("li");
      var info = tile && tile.querySelector(".info");
      if (info) {
        var copy = info.cloneNode(true);
        copy.hidden = false;
        infoBox.appendChild(copy);
      }
      pos.textContent = (current + 1) + " / " + links.length;
      dialog.classList.toggle("single", links.length < 2);
      if (!dialog.open) dialog.showModal();
      // Warm the neighbours so next/previous feel instant.
      [current + 1, current - 1].forEach(function (n) {
        var other = links[(n + links.length) % links.length];
        if (other && other.dataset.kind !== "video") new Image().src = other.href;
      });
    }

    function step(by) { if (current >= 0) show(current + by); }

    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("[data-gallery] a.view");
      if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      opener = a;
      collect();
      show(links.indexOf(a));
    });
    dialog.querySelector("[data-viewer-prev]").addEventListener("click", function () { step(-1); });
    dialog.querySelector("[data-viewer-next]").addEventListener("click", function () { step(1); });
    dialog.querySelector("[data-viewer-close]").addEventListener("click", function () { dialog.close(); });
    // A click on the backdrop (the dialog box itself, outside its content) closes.
    dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
    dialog.addEventListener("keydown", function (e) {
      if (e.target.closest && e.target.closest("input, textarea, select, video, audio")) return;
      if (e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
      else if (e.key === "ArrowRight") { e.preventDefault(); step(1); }
    });
    dialog.addEventListener("close", function () {
      media.textContent = ""; // stops a playing video
      infoBox.textContent = "";
      current = -1;
      if (opener) { opener.focus(); opener = null; }
    });
    // Swipe left/right on a phone.
    var startX = null, startY = null;
    media.addEventListener("touchstart", function (e) {
      if (e.touches.length !== 1) { startX = null; return; }
      startX = e.touches[0].clientX; startY = e.touches[0].clientY;
    }, { passive: true });
    media.addEventListener("touchend", function (e) {
      if (startX === null) return;
      var dx = e.changedTouches[0].clientX - startX;
      var dy = e.changedTouches[0].clientY - startY;
      startX = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
    }, { passive: true });
  }

  // ---- captions and picks -------------------------------------------------

  function showCaption(asset) {
    each("[data-caption-of]", function (el) {
      if (el.dataset.captionOf !== asset.id) return;
      var description = el.dataset.description || "";
      el.removeAttribute("title");
      if (asset.caption) {
        el.textContent = asset.caption;
        el.classList.remove("muted");
      } else if (description) {
        el.textContent = description;
        el.classList.add("muted");
        el.title = "Deskripsi dari berkas (EXIF), belum diperiksa";
      } else {
        el.textContent = "Belum ada keterangan";
        el.classList.add("muted");
      }
    });
  }

  function setupCaptions() {
    each("form[data-caption-form]", function (form) {
      form.addEventListener("api-done", function (e) {
        var asset = e.detail || {};
        if (!asset.id) return;
        showCaption(asset);
        var tile = form.closest("li");
        if (tile) {
          each("textarea[name=caption]", function (t) { t.value = asset.caption || ""; }, tile);
          each("form[data-caption-clear]", function (f) { f.hidden = !asset.caption; }, tile);
          each(".form-error", function (b) { b.textContent = ""; }, tile);
        }
        var details = form.closest("details");
        if (details) details.open = false;
      });
    });
  }

  function setupPicks() {
    each("form[data-pick]", function (form) {
      var box = form.querySelector("input[type=checkbox]");
      if (!box) return;
      box.addEventListener("change", function () {
        formError(form, "");
        if (form.requestSubmit) form.requestSubmit();
        else form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
      });
      form.addEventListener("api-done", function (e) {
        var picked = !!(e.detail && e.detail.picked);
        box.checked = picked;
        var tile = form.closest("li");
        if (tile) tile.classList.toggle("picked", picked);
      });
    });
  }

  // ---- triage -------------------------------------------------------------

  function setupTriage() {
    each("input[data-select-all]", function (all) {
      var form = all.closest("form");
      if (!form) return;
      all.addEventListener("change", function () {
        each("input[data-list=asset_ids]", function (b) { b.checked = all.checked; }, form);
      });
    });
    // Capture phase: runs before app.js sends the form, and can stop it.
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.matches || !form.matches("form[data-triage]")) return;
      var checked = form.querySelectorAll("input[data-list=asset_ids]:checked").length;
      var chosen = "";
      each("[name=assignment_id]", function (el) {
        if (el.value.trim() !== "") chosen = el.value.trim();
      }, form);
      var problem = !checked ? "Centang dulu berkas yang akan ditandai."
        : !chosen ? "Pilih penugasan, atau ketik nomornya." : "";
      formError(form, problem);
      if (problem) {
        e.preventDefault();
        e.stopImmediatePropagation();
        return;
      }
      form.dataset.confirm = "Tandai " + checked + " berkas ke penugasan #" + chosen + "?";
    }, true);
  }

  function start() {
    setupViewer();
    setupCaptions();
    setupPicks();
    setupTriage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
