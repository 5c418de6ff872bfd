// The import progress page: ask /web/api/imports/{id} how far the job got, once a second,
// until it is done or failed. No framework; uses window.phonelist from app.js.
"use strict";

(function () {
  const box = document.getElementById("job");
  if (!box || box.dataset.done === "yes") return;
  const id = box.dataset.job;
  const fields = ["imported", "updated", "duplicates_in_store", "duplicates_in_file", "rejected"];
  const words = { queued: "Waiting to start…", running: "Importing…", done: "Done.", failed: "The import failed." };

  function show(job) {
    const counts = job.counts || {};
    const status = document.getElementById("job-status");
    const rows = document.createElement("span");
    rows.id = "job-rows";
    rows.textContent = String(counts.rows || 0);
    status.replaceChildren(document.createTextNode((words[job.status] || job.status) + " "), rows,
      document.createTextNode(" rows read."));
    for (const name of fields) {
      const cell = document.getElementById("job-" + name);
      if (cell) cell.textContent = String(counts[name] || 0);
    }
    const error = document.getElementById("job-error");
    error.textContent = job.error || "";
    error.hidden = !job.error;
    if (job.done) {
      document.getElementById("job-done").hidden = false;
      box.dataset.done = "yes";
    }
  }

  async function poll() {
    try {
      const job = await window.phonelist.fetchJSON("/web/api/imports/" + encodeURIComponent(id));
      show(job);
      if (!job.done) setTimeout(poll, 1000);
    } catch (error) {
      const box = document.getElementById("job-error");
      box.textContent = error.message;
      box.hidden = false;
    }
  }

  poll();
})();
