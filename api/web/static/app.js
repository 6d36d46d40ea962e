// Little JavaScript: a preview of what a free-text place or trade resolves to.
// Every form works without it; the server resolves and checks the same text again.
(function () {
  "use strict";
  function debounce(fn, ms) { let t; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; }
  document.querySelectorAll("[data-resolve]").forEach(function (input) {
    const out = document.getElementById(input.getAttribute("aria-describedby").split(" ")[0]);
    const form = input.form;
    const csrf = form ? form.querySelector("input[name=csrf]") : null;
    const update = debounce(function () {
      const body = new URLSearchParams({ kind: input.dataset.resolve, text: input.value,
                                         csrf: csrf ? csrf.value : "" });
      fetch("/resolve", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          out.textContent = data.text;
          out.classList.toggle("bad", !data.ok);
        });
    }, 300);
    input.addEventListener("input", update);
    if (input.value) { update(); }
  });
})();
