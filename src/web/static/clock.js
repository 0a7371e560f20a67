(function () {
  var jam = document.getElementById("jam"), tanggal = document.getElementById("tanggal");
  var qr = document.getElementById("qr"), status = document.getElementById("status");
  var fresh = performance.now(), timer = null, busy = false;
  function checkStale() {
    if (performance.now() - fresh > 2500) {
      qr.className = "basi";
      status.textContent = "Koneksi ke server terputus. Jangan memotret sampai jam berjalan lagi.";
    }
  }
  function show(r, svg) {
    qr.innerHTML = svg;
    jam.textContent = r.headers.get("x-clock-text");
    tanggal.textContent = r.headers.get("x-clock-date");
    qr.className = "";
    status.textContent = "";
    fresh = performance.now();
    var ms = Number(r.headers.get("x-clock-epoch-ms"));
    return isFinite(ms) ? 1000 - (ms % 1000) + 30 : 1000;
  }
  function tick() {
    if (busy) return;
    busy = true;
    clearTimeout(timer);
    var abort = window.AbortController ? new AbortController() : null;
    var limit = setTimeout(function () { if (abort) abort.abort(); }, 3000);
    fetch("clock/qr.svg?t=" + Date.now(), { cache: "no-store", signal: abort ? abort.signal : null })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text().then(function (svg) { return show(r, svg); });
      })
      .catch(function () { checkStale(); return 1000; })
      .then(function (wait) {
        clearTimeout(limit);
        busy = false;
        timer = setTimeout(tick, wait);
      });
  }
  function keepAwake() {
    try { if (navigator.wakeLock) navigator.wakeLock.request("screen").catch(function () {}); } catch (e) {}
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { checkStale(); keepAwake(); tick(); }
  });
  setInterval(checkStale, 500);
  keepAwake();
  tick();
})();
