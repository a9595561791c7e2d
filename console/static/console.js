// Progressive enhancement: follow the party's requests live (server-sent events proxied from
// the gateway). Without JavaScript every page still works; reload to see new statuses.
(function () {
  "use strict";
  var watched = document.querySelector("[data-live-requests], [data-request-id]");
  if (!watched || !window.EventSource) return;
  var table = document.querySelector("[data-live-requests] tbody");
  var note = document.querySelector("[data-live-note]");
  var source = new EventSource("/party/events");
  if (note) note.hidden = false;

  function outcomeText(row) {
    var o = row.outcome || {};
    if (o.error) return o.error + (o.args ? " " + JSON.stringify(o.args) : "") +
      (o.message ? " — " + o.message : "");
    if (o.events) return o.events.map(function (e) { return e.event; }).join(", ");
    return "";
  }

  function cell(text, attr) {
    var td = document.createElement("td");
    if (attr) td.setAttribute(attr, "");
    td.textContent = text;
    return td;
  }

  function update(status, row) {
    var holders = document.querySelectorAll('[data-request-id="' + CSS.escape(row.id) + '"]');
    if (holders.length === 0 && table) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-request-id", row.id);
      var link = document.createElement("a");
      link.href = "/party/requests/" + encodeURIComponent(row.id);
      link.textContent = row.id.slice(0, 8) + "…";
      var first = document.createElement("td");
      first.appendChild(link);
      tr.appendChild(first);
      tr.appendChild(cell(row.operation || ""));
      tr.appendChild(cell("", "data-status"));
      tr.appendChild(cell("", "data-block"));
      tr.appendChild(cell("", "data-outcome"));
      table.insertBefore(tr, table.firstChild);
      holders = [tr];
    }
    Array.prototype.forEach.call(holders, function (h) {
      var s = h.querySelector("[data-status]");
      var final = function (t) { return t === "confirmed" || t === "rejected"; };
      if (s && final(s.textContent) && !final(status)) return;  // never back to pending
      if (s) { s.textContent = status; s.className = "status status-" + status; }
      var b = h.querySelector("[data-block]");
      if (b && row.block_number) b.textContent = "block " + row.block_number;
      var o = h.querySelector("[data-outcome]");
      if (o) o.textContent = outcomeText(row);
    });
  }

  ["queued", "signed", "submitted", "confirmed", "rejected"].forEach(function (status) {
    source.addEventListener(status, function (event) {
      try { update(status, JSON.parse(event.data)); } catch (e) { /* not ours */ }
    });
  });
  // A request that became final before the stream opened is not told again: read those once.
  function catchUp() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-request-id]"), function (h) {
      var s = h.querySelector("[data-status]");
      if (!s || s.textContent === "confirmed" || s.textContent === "rejected") return;
      var id = h.getAttribute("data-request-id");
      fetch("/party/requests/" + encodeURIComponent(id) + "/status", {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (row) { if (row && row.status) update(row.status, row); })
        .catch(function () { /* the stream still tells */ });
    });
  }
  source.addEventListener("open", catchUp);
  source.addEventListener("error", function () {
    if (note) note.textContent = "Live updates paused; reconnecting…";
  });
})();

// The write forms: "use all" fills the amount beside a holding (the server takes "all" too).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-fill]"), function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-fill"));
      if (input) { input.value = button.getAttribute("data-value"); input.focus(); }
    });
  });
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();
