// phonelist: small helpers shared by every page (loaded by base.html, before the page's own
// script, both with `defer`). No framework, no third-party code. Pages use `window.phonelist`.
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  // Call the JSON under /web/api/... with the session cookie; a request that changes anything
  // carries the CSRF token in X-CSRF-Token. Resolves to the parsed body; rejects with an Error
  // whose `.status`, `.field` and `.message` come from the API's error shape.
  async function fetchJSON(url, options) {
    const opts = options || {};
    const method = (opts.method || "GET").toUpperCase();
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
    let body;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const response = await fetch(url, {
      method, headers, body, credentials: "same-origin", signal: opts.signal,
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_ignored) { data = null; }
    if (!response.ok) {
      const problem = (data && data.error) || {};
      const error = new Error(problem.message || "the request failed (" + response.status + ")");
      error.status = response.status;
      error.field = problem.field || null;
      error.code = problem.code || null;
      throw error;
    }
    return data;
  }

  // Run `fn` once typing has paused for `ms` milliseconds.
  function debounce(fn, ms) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), ms);
    };
  }

  // Show `message` in the element with id `id` (a .field-error under a control), and mark the
  // control described by it as invalid; an empty message clears both.
  function showFieldError(control, id, message) {
    const box = document.getElementById(id);
    if (box) {
      box.textContent = message || "";
      box.hidden = !message;
    }
    if (control) {
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  }

  // <form data-confirm="Delete this user?">: ask before submitting.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    }
  });

  window.phonelist = { csrfToken, fetchJSON, debounce, showFieldError };
})();
