// liputan panel: the only script every page loads. No build step, no inline
// scripts (the Content-Security-Policy forbids them).
//
// Forms with data-api="/api/..." are sent as JSON to that API route (the
// same handlers the contract names), with data-method (default POST). Field
// conventions: data-type="number" | "bool" | "json" | "list" (comma
// separated); checkboxes are booleans unless they carry data-list="name",
// in which case each checked box adds its value (parsed as JSON when
// data-type="json") to the array "name"; empty optional fields are left out.
// After success: data-then="reload" (default), a path (with {id} replaced
// by the reply's id), or "none". Errors appear in the form's .form-error.
"use strict";

function formBody(form) {
  var body = {};
  var fields = form.querySelectorAll("input, select, textarea");
  fields.forEach(function (el) {
    if (!el.name || el.disabled || el.type === "submit" || el.type === "button" || el.type === "file") return;
    var type = el.dataset.type || "";
    var list = el.dataset.list;
    if (el.type === "checkbox" && list) {
      if (!body[list]) body[list] = [];
      if (el.checked) body[list].push(type === "json" ? JSON.parse(el.value) : el.value);
      return;
    }
    if (el.type === "checkbox") { body[el.name] = el.checked; return; }
    if (el.type === "radio") { if (el.checked) body[el.name] = el.value; return; }
    if (el.multiple) {
      body[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      return;
    }
    var v = el.value;
    if (v === "" && !el.required) return;
    if (type === "number") v = Number(v);
    else if (type === "bool") v = v === "true";
    else if (type === "json") v = JSON.parse(v);
    else if (type === "list") v = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    else if (type === "datetime") v = withZone(v, form.dataset.zone || "+08:00");
    body[el.name] = v;
  });
  return body;
}

// <input type=datetime-local> gives "2026-11-27T09:00"; the API wants RFC 3339.
function withZone(local, zone) {
  if (!local) return local;
  return (local.length === 16 ? local + ":00" : local) + zone;
}

function showError(form, message) {
  var box = form.querySelector(".form-error");
  if (box) { box.textContent = message; box.hidden = false; }
  else alert(message);
}

async function sendForm(form) {
  var method = (form.dataset.method || "POST").toUpperCase();
  var url = form.dataset.api;
  var button = form.querySelector("[type=submit]");
  var body;
  try { body = formBody(form); } catch (e) { showError(form, "Isian tidak valid: " + e.message); return; }
  if (button) button.disabled = true;
  try {
    var reply = await fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: method === "GET" ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    var data = {};
    try { data = await reply.json(); } catch (e) { data = {}; }
    if (!reply.ok) {
      showError(form, (data && data.error) || ("Gagal (" + reply.status + ")"));
      return;
    }
    form.dispatchEvent(new CustomEvent("api-done", { detail: data }));
    var then = form.dataset.then || "reload";
    if (then === "none") return;
    if (then === "reload") { location.reload(); return; }
    location.href = then.replace("{id}", data && data.id != null ? data.id : "");
  } catch (e) {
    showError(form, "Tidak dapat menghubungi server: " + e.message);
  } finally {
    if (button) button.disabled = false;
  }
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.dataset || !form.dataset.api) return;
  event.preventDefault();
  if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
  sendForm(form);
});

// Live lists: <ul data-live="/api/live"> receives server-sent events whose
// data is {"text": "...", "href": "..."} and prepends them (newest first).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-live]").forEach(function (list) {
    if (!window.EventSource) return;
    var source = new EventSource(list.dataset.live);
    source.addEventListener("arrival", function (e) {
      var item = JSON.parse(e.data);
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.href;
      a.textContent = item.text;
      li.appendChild(a);
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 50) list.removeChild(list.lastChild);
      var empty = document.querySelector("[data-live-empty]");
      if (empty) empty.hidden = true;
      var count = document.querySelector("[data-live-count]");
      if (count) count.textContent = String(Number(count.textContent || "0") + 1);
    });
  });
});
