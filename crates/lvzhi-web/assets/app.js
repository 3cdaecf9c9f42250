// 履职 — the web UI's own small script. Pages work without it; it only adds
// a confirmation where one is asked for, and guards against double submits.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var ask = form.getAttribute("data-confirm");
    if (ask && !window.confirm(ask)) {
      ev.preventDefault();
      return;
    }
    if (form.hasAttribute("data-guard")) {
      if (form.getAttribute("data-sent") === "1") {
        ev.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    }
  });
  // After a page with an error comes back, put the cursor at the first wrong field.
  document.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (bad) {
      bad.focus();
      if (bad.scrollIntoView) bad.scrollIntoView({ block: "center" });
    }
  });
  // "Select all" checkboxes (督查督办): tick every row's box of the same form.
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("check-all") || !box.form) return;
    var rows = box.form.querySelectorAll("input[type=checkbox][name=id]");
    for (var i = 0; i < rows.length; i++) rows[i].checked = box.checked;
  });
  // Back from the browser's page cache: forms may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) {
      sent[i].removeAttribute("data-sent");
      var b = sent[i].querySelectorAll("button[type=submit]");
      for (var j = 0; j < b.length; j++) b[j].disabled = false;
    }
  });
})();
// A file input with data-max: say at once when the chosen file is too large.
document.addEventListener("change", function (ev) {
  var input = ev.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.hasAttribute("data-max")) return;
  var max = parseInt(input.getAttribute("data-max"), 10);
  var box = input.parentNode && input.parentNode.querySelector(".file-error");
  var f = input.files && input.files[0];
  if (f && max && f.size > max) {
    if (box) {
      box.textContent = "文件“" + f.name + "”大小为" + Math.ceil(f.size / 1024) + "KB，超过" +
        input.getAttribute("data-max-label") + "上限，请删减内容或分段粘贴。";
      box.hidden = false;
    }
    input.value = "";
  } else if (box) {
    box.hidden = true;
    box.textContent = "";
  }
});
