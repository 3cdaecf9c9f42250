// 考核测评: the print button of the code sheet (no inline script under the CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t instanceof HTMLElement && t.hasAttribute("data-print")) {
      ev.preventDefault();
      window.print();
    }
  });
})();
