// 批量处理 job page: poll the job's progress (JSON) once a second while it runs, show
// done/total, rate and ETA; reload the page when it finishes (summary + report link).
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("batch-progress");
    if (!box || box.dataset.active !== "1") { return; }
    var bar = document.getElementById("batch-bar");
    function show(id, value) { document.getElementById(id).textContent = value; }
    function poll() {
      fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          show("batch-done", data.done);
          show("batch-total", data.total);
          show("batch-status", data.status_label);
          show("batch-rate", data.rate === null ? "-" : data.rate);
          show("batch-eta", data.eta_seconds === null ? "-" : data.eta_seconds);
          bar.max = Math.max(data.total, 1);
          bar.value = data.done;
          if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
