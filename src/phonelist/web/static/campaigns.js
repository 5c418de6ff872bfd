// Campaign pages: the live character and segment counter, the schedule and emergency fields
// shown for the choice made, and the live progress of a sending campaign. No framework; the
// server does every count (POST /web/api/campaigns/count), so the page never disagrees with
// what is sent.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function setText(root, name, value) {
    var el = root.querySelector('[data-count="' + name + '"]');
    if (el) el.textContent = value === undefined || value === null ? "" : String(value);
    return el;
  }

  function show(el, shown) {
    if (el) el.hidden = !shown;
  }

  function counter(form) {
    var body = form.querySelector("#body");
    var box = form.querySelector("#body-count");
    var live = form.querySelector("#body-live-error");
    if (!body || !box) return;
    var purpose = form.querySelector("#purpose");
    var senders = form.querySelector("#senders");
    var timer = null;
    var asked = 0;

    function paint(answer) {
      if (!answer.ok) {
        live.textContent = answer.error.message;
        show(live, true);
        body.setAttribute("aria-invalid", "true");
        return;
      }
      show(live, false);
      live.textContent = "";
      body.removeAttribute("aria-invalid");
      setText(box, "encoding", answer.encoding);
      setText(box, "characters", answer.characters);
      setText(box, "segments", answer.segments);
      setText(box, "remaining", answer.remaining);
      setText(box, "non_gsm_list", answer.non_gsm.join(" "));
      show(box.querySelector('[data-count="non_gsm"]'), answer.non_gsm.length > 0);
      setText(box, "appended_text", answer.appended);
      show(box.querySelector('[data-count="appended"]'), answer.appended !== "");
      show(box.querySelector('[data-count="placeholders"]'), answer.placeholders.length > 0);
    }

    function ask() {
      var mine = ++asked;
      fetch(body.dataset.countUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({
          body: body.value,
          purpose: purpose ? purpose.value : "informational",
          senders: senders ? senders.value : ""
        })
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer && mine === asked) paint(answer);
        })
        .catch(function () {
          /* offline or signed out: the counter keeps its last answer; saving still checks */
        });
    }

    function later() {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(ask, 250);
    }

    body.addEventListener("input", later);
    if (purpose) purpose.addEventListener("change", later);
    if (senders) senders.addEventListener("input", later);
  }

  function choices(form) {
    var purpose = form.querySelector("#purpose");
    var emergency = form.querySelector("#emergency-fields");
    function purposeShown() {
      show(emergency, purpose && purpose.value === "emergency");
    }
    if (purpose && emergency) {
      purpose.addEventListener("change", purposeShown);
      purposeShown();
    }
    var radios = form.querySelectorAll('input[name="schedule_kind"]');
    function scheduleShown() {
      var picked = form.querySelector('input[name="schedule_kind"]:checked');
      var kind = picked ? picked.value : "now";
      form.querySelectorAll("[data-schedule]").forEach(function (el) {
        show(el, el.dataset.schedule === kind);
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", scheduleShown);
    });
    scheduleShown();
  }

  function progress(section) {
    var url = section.dataset.statsUrl;
    var bar = section.querySelector("#progress-bar");
    var status = document.getElementById("campaign-status");

    function paint(stats) {
      Object.keys(stats.by_state).forEach(function (state) {
        var el = section.querySelector('[data-stat="' + state + '"]');
        if (el) el.textContent = String(stats.by_state[state]);
      });
      var processed = stats.total - stats.waiting;
      section.querySelector('[data-stat="processed"]').textContent = String(processed);
      section.querySelector('[data-stat="total"]').textContent = String(stats.total);
      section.querySelector('[data-stat="opt_outs"]').textContent = String(stats.opt_outs);
      section.querySelector('[data-stat="cost_spent"]').textContent = stats.cost_spent.toFixed(2);
      section.querySelector('[data-stat="cost_estimate"]').textContent =
        stats.cost_estimate.toFixed(2);
      section.querySelector('[data-stat="delivery_rate"]').textContent =
        stats.delivery_rate === null ? "–" : (stats.delivery_rate * 100).toFixed(1) + "%";
      bar.max = Math.max(stats.total, 1);
      bar.value = processed;
      bar.textContent = processed + " of " + stats.total;
      if (status) {
        status.textContent = stats.status.replace("_", " ");
        status.className = "badge status-" + stats.status;
      }
      return stats.status === "sending" || stats.status === "paused" || stats.status === "approved";
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (stats) {
          if (stats && paint(stats)) setTimeout(poll, 3000);
        })
        .catch(function () {
          setTimeout(poll, 10000);
        });
    }

    setTimeout(poll, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.compose");
    if (form) {
      counter(form);
      choices(form);
    }
    var section = document.getElementById("progress");
    if (section && section.dataset.live === "true") progress(section);
  });
})();
