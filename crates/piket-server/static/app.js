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
      box.value = value.slice(0, start) + text + value.slice(end);
      box.focus();
      box.setSelectionRange(start + text.length, start + text.length);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    })
    .catch(function () {
      form.submit();
    });
});
