// liputan panel: behaviour of the schedule pages (Jadwal Tim, Agenda
// Pimpinan, Penugasan, Kamera). Loaded after app.js on those pages only;
// forms with data-api are still sent by app.js.
//
// - form[data-roster="/api/roster/YYYY-MM"]: the month grid. Its checkboxes
//   carry data-day="YYYY-MM-DD" and data-user="username"; saving PUTs
//   {"days": {"YYYY-MM-DD": [username, ...]}} with every day of the grid
//   (an empty list clears a day).
// - input[data-offset-preview]: a clock offset in seconds; the nearest
//   output[data-offset-words] shows it in words ("+2 menit 5 detik").
// - form.event-form: when the start moves past the end, the end follows
//   (two hours later).
"use strict";

(function () {
  function rosterBody(form) {
    var days = {};
    form.querySelectorAll("input[type=checkbox][data-day]").forEach(function (box) {
      var day = box.dataset.day;
      if (!days[day]) days[day] = [];
      if (box.checked) days[day].push(box.dataset.user);
    });
    return { days: days };
  }

  function say(form, selector, text) {
    var box = form.querySelector(selector);
    if (box) { box.textContent = text; box.hidden = !text; }
    else if (text && selector === ".form-error") alert(text);
  }

  async function saveRoster(form) {
    var button = form.querySelector("[type=submit]");
    say(form, ".form-error", "");
    say(form, ".form-status", "Menyimpan…");
    if (button) button.disabled = true;
    try {
      var reply = await fetch(form.dataset.roster, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(rosterBody(form)),
        credentials: "same-origin",
      });
      var data = {};
      try { data = await reply.json(); } catch (e) { data = {}; }
      if (!reply.ok) {
        say(form, ".form-status", "");
        say(form, ".form-error", (data && data.error) || ("Gagal menyimpan (" + reply.status + ")"));
        return;
      }
      form.dataset.dirty = "";
      location.reload();
    } catch (e) {
      say(form, ".form-status", "");
      say(form, ".form-error", "Tidak dapat menghubungi server: " + e.message);
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.roster) return;
    event.preventDefault();
    saveRoster(form);
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box.closest && box.closest("form[data-roster]");
    if (!form) return;
    form.dataset.dirty = "1";
    say(form, ".form-status", "Ada perubahan yang belum disimpan.");
  });

  window.addEventListener("beforeunload", function (event) {
    var form = document.querySelector("form[data-roster]");
    if (form && form.dataset.dirty === "1") { event.preventDefault(); event.returnValue = ""; }
  });

  // The same words as cameras.rs offset_words.
  function offsetWords(seconds) {
    if (!isFinite(seconds)) return "—";
    seconds = Math.trunc(seconds);
    if (seconds === 0) return "0 detik";
    var sign = seconds < 0 ? "-" : "+";
    var s = Math.abs(seconds);
    var parts = [];
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h) parts.push(h + " jam");
    if (m) parts.push(m + " menit");
    if (sec) parts.push(sec + " detik");
    return sign + parts.join(" ");
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-offset-preview]")) return;
    var form = input.closest("form") || document;
    var out = form.querySelector("output[data-offset-words]");
    if (out) out.textContent = input.value === "" ? "—" : offsetWords(Number(input.value));
  });

  // "2026-11-27T09:00" + hours, as the same kind of string (no zone involved).
  function addHours(local, hours) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
    if (!m) return "";
    var t = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] + hours, +m[5]));
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return t.getUTCFullYear() + "-" + two(t.getUTCMonth() + 1) + "-" + two(t.getUTCDate()) +
      "T" + two(t.getUTCHours()) + ":" + two(t.getUTCMinutes());
  }

  document.addEventListener("change", function (event) {
    var start = event.target;
    if (!start.matches || !start.matches("form.event-form input[data-starts]")) return;
    var end = start.form && start.form.querySelector("input[data-ends]");
    if (!end || !start.value) return;
    if (!end.value || end.value <= start.value) end.value = addHours(start.value, 2);
  });
})();
