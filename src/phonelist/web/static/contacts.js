// The contact list: the live count of a segment query, and the bulk selection.
// No framework, no third-party code; loaded with `defer` after app.js.
"use strict";

(function () {
  const field = document.getElementById("segment");
  const countBox = document.getElementById("segment-count");
  const errorBox = document.getElementById("segment-error");

  // Show the query's error under the field: the message, and the line with a caret under it.
  function showError(problem) {
    errorBox.replaceChildren();
    if (!problem) {
      errorBox.hidden = true;
      field.removeAttribute("aria-invalid");
      return;
    }
    const message = document.createElement("p");
    message.textContent = problem.message + (problem.at ? " (at " + problem.at + ")" : "");
    errorBox.append(message);
    if (problem.caret) {
      const caret = document.createElement("pre");
      caret.className = "caret";
      caret.textContent = problem.caret;
      errorBox.append(caret);
    }
    errorBox.hidden = false;
    field.setAttribute("aria-invalid", "true");
  }

  let inFlight = null;

  async function count() {
    const query = field.value;
    if (inFlight) inFlight.abort();
    if (!query.trim()) {
      countBox.textContent = "";
      showError(null);
      return;
    }
    inFlight = new AbortController();
    countBox.textContent = "Counting…";
    const url = field.dataset.countUrl + "?q=" + encodeURIComponent(query);
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: inFlight.signal,
      });
      const data = await response.json();
      if (!response.ok || data.error) {
        countBox.textContent = "";
        showError((data && data.error) || { message: "the count failed; try again" });
        return;
      }
      showError(null);
      const noun = data.count === 1 ? " contact matches." : " contacts match.";
      const warnings = (data.warnings || []).join(" ");
      countBox.textContent = data.count + noun + (warnings ? " " + warnings : "");
    } catch (error) {
      if (error.name !== "AbortError") {
        countBox.textContent = "";
        showError({ message: "the count could not be fetched; try again" });
      }
    }
  }

  if (field && countBox && errorBox) {
    const debounce = window.phonelist ? window.phonelist.debounce : (fn) => fn;
    field.addEventListener("input", debounce(count, 300));
    // Enter submits the filter; Shift+Enter makes a new line.
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        field.form.requestSubmit();
      }
    });
  }

  // Bulk selection: "select all" and the count of selected rows.
  const all = document.getElementById("select-all");
  const picks = Array.from(document.querySelectorAll("input.pick"));
  const selected = document.getElementById("bulk-selected");

  function update() {
    const n = picks.filter((box) => box.checked).length;
    if (selected) selected.textContent = n ? n + " selected." : "Select contacts in the table.";
    if (all) {
      all.checked = n > 0 && n === picks.length;
      all.indeterminate = n > 0 && n < picks.length;
    }
  }

  if (all) {
    all.addEventListener("change", () => {
      for (const box of picks) box.checked = all.checked;
      update();
    });
  }
  for (const box of picks) box.addEventListener("change", update);
  if (picks.length) update();
})();
