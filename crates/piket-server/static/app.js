// Piket's own small script: pages work without it; it only adds confirmations and shortcuts.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("keydown", function (event) {
  // "/" focuses the search box of a list, as in most web apps.
  if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
    var search = document.querySelector("input[type=search]");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  }
});
// "Insert" beside the reply box: fetch the canned response filled in for this ticket and put it
// at the cursor, keeping what is already typed. Without this script (or if the fetch fails) the
// form reloads the page with the reply box pre-filled instead.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var base = form.getAttribute && form.getAttribute("data-fill");
  var box = document.getElementById("f-body");
  var select = form.querySelector && form.querySelector("select");
  if (!base || !box || !select || !select.value || !window.fetch) {
    return;
  }
  event.preventDefault();
  fetch(base + encodeURIComponent(select.value), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    })
    .then(function (text) {
      var value = box.value;
      var start = typeof box.selectionStart === "number" ? box.selectionStart : value.length;
      var end = typeof box.selectionEnd === "number" ? box.selectionEnd : value.length;
      /* issue 19: the ticket page — the response stands on a paragraph of its own */
      var before = value.slice(0, start);
      var after = value.slice(end);
      var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      var tail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
      box.value = before + lead + text + tail + after;
      var caret = before.length + lead.length + text.length;
      box.focus();
      box.setSelectionRange(caret, caret);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    })
    .catch(function () {
      form.submit();
    });
});
// Live refresh: on the ticket list and on a ticket's page, listen for changes other people make
// (server-sent events) and refresh the page's main part in place. If the user is typing a reply
// or has ticked rows, show a notice with a reload link instead of throwing their input away.
(function () {
  var path = window.location.pathname;
  var ticketPage = path.match(/^\/tickets\/(\d+)$/);
  if (!(path === "/tickets" || ticketPage) || !window.EventSource || !window.fetch) {
    return;
  }
  var me = document.body.getAttribute("data-me");
  var main = document.getElementById("main");
  var timer = null;
  function busy() {
    var boxes = main.querySelectorAll("textarea");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value.trim() !== "") { return true; }
    }
    return main.querySelector("input[type=checkbox][name=ids]:checked") !== null ||
      main.contains(document.activeElement) && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  }
  function notice() {
    var n = document.getElementById("live-notice");
    if (n) { n.hidden = false; }
  }
  function refresh() {
    timer = null;
    if (busy()) { notice(); return; }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (fresh && !busy()) {
          main.innerHTML = fresh.innerHTML;
          main.setAttribute("data-refreshed", String(Date.now()));
          document.dispatchEvent(new Event("piket:refreshed"));
        } else {
          notice();
        }
      })
      .catch(notice);
  }
  var source = new EventSource("/events/tickets");
  source.addEventListener("ticket", function (m) {
    var e;
    try { e = JSON.parse(m.data); } catch (err) { return; }
    if (e.actor !== null && String(e.actor) === me) { return; }
    if (ticketPage && e.ticket !== null && String(e.ticket) !== ticketPage[1]) { return; }
    if (!timer) { timer = window.setTimeout(refresh, 300); }
  });
})();
// Drag-and-drop onto a form with a file picker (the reply box, the new-ticket form): dropped
// files join those already chosen in the picker, which the form then submits as usual.
function dropzones() {
document.querySelectorAll("form input[type=file][name=files]").forEach(function (input) {
  var form = input.form;
  var zone = input.closest(".dropzone") || form;
  var over = function (on) { zone.classList.toggle("dragover", on); };
  form.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
      event.preventDefault();
      over(true);
    }
  });
  form.addEventListener("dragleave", function (event) {
    if (!form.contains(event.relatedTarget)) { over(false); }
  });
  form.addEventListener("drop", function (event) {
    if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
    event.preventDefault();
    over(false);
    var all = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
    Array.prototype.forEach.call(event.dataTransfer.files, function (f) { all.items.add(f); });
    input.files = all.files;
  });
});
}
dropzones();
// The live refresh replaces the page's main part: give its new forms their drop zones again.
document.addEventListener("piket:refreshed", dropzones);
// Typed-ahead suggestions for an input with `data-suggest` (the ticket page's "link a device"
// box): the URL answers `?q=` with [{id, name, asset_tag}], shown in the input's datalist; a
// chosen suggestion fills in the asset's number. Without script the box takes a number or tag.
(function () {
  var timer = null;
  document.addEventListener("input", function (event) {
    var input = event.target;
    var url = input.getAttribute && input.getAttribute("data-suggest");
    var list = input.list;
    if (!url || !list || !window.fetch) { return; }
    clearTimeout(timer);
    var text = input.value.trim();
    if (text.length < 2 || /^\d+$/.test(text)) { return; }
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (found) {
          list.textContent = "";
          found.forEach(function (a) {
            var option = document.createElement("option");
            option.value = String(a.id);
            option.textContent = a.name + (a.asset_tag ? " (" + a.asset_tag + ")" : "");
            list.appendChild(option);
          });
        })
        .catch(function () { list.textContent = ""; });
    }, 200);
  });
})();
/* issue 19: the ticket page — drafts and leaving with unsent text */
// The reply being written is kept in this browser (restored on load) and, debounced, on the
// server (POST data-draft, with the CSRF token), so it survives a reload, the side panel's Save
// and another device. Whichever copy is newer wins. Sending it forgets both; leaving the page
// with unsent text asks first. Events are caught on the document, since the live refresh
// replaces the form.
(function () {
  var me = document.body.getAttribute("data-me");
  var timer = null;
  var leaving = false;
  var onServer = null;
  function form() { return document.getElementById("reply"); }
  function box() { var f = form(); return f ? f.querySelector("textarea[name=body]") : null; }
  function key(f) {
    var page = document.getElementById("ticket");
    var ticket = page ? page.getAttribute("data-id") : "";
    return f && ticket && me ? "piket:draft:" + me + ":" + ticket : null;
  }
  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function remember(f, text) {
    var k = key(f), s = store();
    if (!k || !s) { return; }
    try {
      if (text.trim() === "") { s.removeItem(k); } else { s.setItem(k, JSON.stringify({ text: text, at: Date.now() })); }
    } catch (e) { /* full or refused: the server copy still holds */ }
  }
  function saveOnServer() {
    timer = null;
    var f = form(), b = box();
    if (!f || !b || !window.fetch || leaving) { return; }
    var url = f.getAttribute("data-draft");
    var token = f.querySelector("input[name=_csrf]");
    if (!url || !token || b.value === onServer) { return; }
    var text = b.value;
    var body = new URLSearchParams();
    body.set("_csrf", token.value);
    body.set("body", text);
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "x-csrf-token": token.value } })
      .then(function (r) { if (r.ok) { onServer = text; } })
      .catch(function () {});
  }
  function restore() {
    var f = form(), b = box(), s = store(), k = key(f);
    if (!f || !b) { return; }
    onServer = b.value;
    if (!s || !k) { return; }
    var kept = null;
    try { kept = JSON.parse(s.getItem(k) || "null"); } catch (e) { kept = null; }
    var serverAt = Number(f.getAttribute("data-draft-at") || 0);
    var shownBack = f.querySelector(".invalid") !== null;
    if (kept && typeof kept.text === "string" && kept.text.trim() !== "" && !shownBack &&
        kept.text !== b.value && (b.value.trim() === "" || kept.at > serverAt)) {
      b.value = kept.text;
      timer = window.setTimeout(saveOnServer, 1000);
    } else if (b.value.trim() !== "") {
      remember(f, b.value);
    }
  }
  document.addEventListener("input", function (event) {
    if (event.target !== box()) { return; }
    remember(form(), event.target.value);
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(saveOnServer, 1000);
  });
  document.addEventListener("submit", function (event) {
    var f = event.target;
    if (f.id !== "reply" || event.defaultPrevented) { return; }
    leaving = true;
    if (timer) { window.clearTimeout(timer); timer = null; }
    // The Update button sends the text: forget this browser's copy (a refused reply comes
    // back in the box and is kept again). The side panel's Save keeps it as the draft.
    var by = event.submitter;
    if (!(by && by.hasAttribute("formaction"))) { remember(f, ""); }
  });
  window.addEventListener("beforeunload", function (event) {
    var b = box();
    if (leaving || !b || b.value.trim() === "") { return; }
    event.preventDefault();
    event.returnValue = b.form.getAttribute("data-leave") || "";
    return event.returnValue;
  });
  restore();
  document.addEventListener("piket:refreshed", restore);
})();

// The one-time time-zone offer (issue #19): name the browser's zone on the "use" button; when it
// is the zone already shown, accept quietly so the offer does not nag.
(function () {
  var offer = document.getElementById("zone-offer");
  if (!offer || !window.Intl || !Intl.DateTimeFormat) { return; }
  var browser = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  if (!browser) { return; }
  if (browser === offer.getAttribute("data-zone")) {
    var body = new FormData(offer);
    body.set("time_zone", "");
    fetch(offer.action, { method: "POST", body: new URLSearchParams(body), credentials: "same-origin" })
      .then(function (r) { if (r.ok) { offer.hidden = true; } });
    return;
  }
  var use = document.getElementById("zone-use");
  use.value = browser;
  use.querySelector("span").textContent = browser;
  use.hidden = false;
})();

// The requester's context beside the conversation (issue #19): fetched after the page, so the
// ticket page itself costs no extra reads; without the script its link shows it in the page.
(function () {
  function load() {
    var slot = document.querySelector("[data-context]");
    if (!slot) { return; }
    fetch(slot.getAttribute("data-context"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html && slot.isConnected) { slot.outerHTML = html; } })
      .catch(function () {});
  }
  load();
  document.addEventListener("piket:refreshed", load);
})();

// The side panel's counts the list page leaves out (views other than by status, issue #19):
// asked for after the page, so counting them never slows the list.
(function () {
  function load() {
    var pending = document.querySelectorAll("a[data-view] .count[hidden]");
    if (!pending.length) { return; }
    fetch("/tickets/view-counts", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        Array.prototype.forEach.call(pending, function (span) {
          var n = counts[span.parentNode.getAttribute("data-view")];
          if (n) { span.textContent = n; span.hidden = false; }
        });
      })
      .catch(function () {});
  }
  load();
  document.addEventListener("piket:refreshed", load);
})();

/* issue 19 part 5: the licence picker types ahead */
// A picker's search box (`data-candidates`) lists matches as one types, from the same search
// its own GET would run (so the same reach), each with the same Assign form the page renders
// without script. The box's Search button still reloads the page with the list.
(function () {
  var timers = {};
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  function hidden(name, value) {
    var i = document.createElement("input");
    i.type = "hidden";
    i.name = name;
    i.value = value;
    return i;
  }
  function show(list, found, text) {
    var a = function (name) { return list.getAttribute(name) || ""; };
    list.textContent = "";
    if (found.length === 0) {
      list.appendChild(el("li", "muted", a("data-none-label")));
    }
    found.forEach(function (c) {
      var li = el("li");
      li.setAttribute("data-id", String(c.id));
      var who = el("span", "who", c.name + " ");
      who.appendChild(el("small", "hint", c.detail));
      li.appendChild(who);
      if (c.assigned) {
        li.appendChild(el("span", "badge", a("data-assigned-label")));
      } else {
        var form = el("form", "inline");
        form.method = "post";
        form.action = a("data-assign");
        form.appendChild(hidden("_csrf", a("data-csrf")));
        form.appendChild(hidden("target", String(c.id)));
        form.appendChild(hidden(a("data-q-name"), text));
        form.appendChild(hidden(a("data-other-name"), a("data-other-q")));
        var button = el("button", "", a("data-assign-label"));
        button.type = "submit";
        form.appendChild(button);
        li.appendChild(form);
      }
      list.appendChild(li);
    });
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    var url = input.getAttribute && input.getAttribute("data-candidates");
    var list = url && document.getElementById(input.getAttribute("data-results"));
    if (!url || !list || !window.fetch) { return; }
    clearTimeout(timers[url]);
    timers[url] = setTimeout(function () {
      var text = input.value.trim();
      if (text === "") { list.textContent = ""; return; }
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (found) {
          if (input.value.trim() === text) { show(list, found, text); }
        })
        .catch(function () { /* the Search button still works */ });
    }, 200);
  });
})();
