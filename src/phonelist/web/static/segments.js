// The segment editor: count the query while it is typed (debounced), and show why a query
// cannot be read under it, with the caret line the server made. Uses window.phonelist (app.js).
"use strict";

(function () {
  const query = document.getElementById("query");
  if (!query) return;
  const count = document.getElementById("query-count");
  const errorBox = document.getElementById("query-error");
  const errorText = document.getElementById("query-error-text");
  const caret = document.getElementById("query-caret");
  let controller = null;

  function showError(error) {
    if (!error) {
      errorBox.hidden = true;
      errorText.textContent = "";
      caret.textContent = "";
      caret.hidden = true;
      query.removeAttribute("aria-invalid");
      return;
    }
    errorText.textContent = error.message + (error.where ? " (at " + error.where + ")" : "");
    caret.textContent = error.caret || "";
    caret.hidden = !error.caret;
    errorBox.hidden = false;
    query.setAttribute("aria-invalid", "true");
  }

  async function update() {
    if (controller) controller.abort();
    controller = new AbortController();
    const text = query.value;
    try {
      const answer = await window.phonelist.fetchJSON(
        "/web/api/segments/editor-count?q=" + encodeURIComponent(text), { signal: controller.signal });
      showError(answer.error);
      if (answer.count === null || answer.count === undefined) {
        count.textContent = "";
      } else {
        const n = answer.count;
        count.textContent = n + (n === 1 ? " contact matches" : " contacts match")
          + (answer.warnings.length ? " (" + answer.warnings.join("; ") + ")" : "");
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      count.textContent = "";
      showError({ message: error.message, caret: null, where: null });
    }
  }

  query.addEventListener("input", window.phonelist.debounce(update, 300));
})();
