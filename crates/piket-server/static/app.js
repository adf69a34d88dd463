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
// Drag-and-drop onto a form with a file picker (the reply box, the new-ticket form): dropped
// files join those already chosen in the picker, which the form then submits as usual.
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
