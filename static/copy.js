// Copy buttons next to every b32/b33 address of the tunnel manager. The
// addresses are selectable text without it (one click selects all).
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("code.b32").forEach(function (code) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary copy";
    b.textContent = "Copy";
    b.setAttribute("aria-label", "Copy " + code.textContent);
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = "Copy"; }, 2000);
      });
    });
    code.after(b);
  });
})();
