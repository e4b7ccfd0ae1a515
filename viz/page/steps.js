// The step-by-step backpropagation page: one step of the backward walk at a time, the graph highlighting it.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const details = document.getElementById("details");
  const slider = document.getElementById("slider");
  const svg = document.querySelector("#level0 svg");
  const zoom = vizPanZoom(svg);
  let current = 0;

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function rows(pairs, className) {
    return el("table", { className: className || "" },
              ...pairs.map(([a, b, changed]) => el("tr", { className: changed ? "changed" : "" },
                                                    el("td", {}, a), el("td", {}, b))));
  }
  function unitElement(u) { return u === null || u === undefined ? null : document.getElementById("L0u" + u); }

  function go(k) {
    current = Math.max(0, Math.min(data.steps.length - 1, k));
    const step = data.steps[current];
    slider.value = current;
    document.getElementById("counter").textContent = `${current} / ${data.steps.length - 1}`;
    document.getElementById("prev").disabled = current === 0;
    document.getElementById("next").disabled = current === data.steps.length - 1;
    for (const e of svg.querySelectorAll(".current, .done")) e.classList.remove("current", "done");
    data.steps.slice(1, current).forEach((s) => { const e = unitElement(s.unit); if (e) e.classList.add("done"); });
    const op = unitElement(step.unit), out = unitElement(step.out_unit);
    if (op) op.classList.add("current");
    if (out) out.classList.add("current");
    const root = data.root;
    details.replaceChildren(...[
      el("h2", { id: "step-title" }, step.title),
      el("h3", {}, "gradient arriving"),
      rows([[`∂${root}/∂${step.output}`, step.grad_in]], "arriving"),
      step.formula ? el("h3", {}, "the rule's local derivative") : null,
      step.formula ? el("pre", {}, step.formula) : null,
      step.local.length ? rows(step.local.map(([n, v]) => [`∂${step.output}/∂${n}`, v]), "local") : null,
      step.sent.length ? el("h3", {}, "sent to the inputs (arriving × local)") : null,
      step.sent.length ? rows(step.sent.map(([n, v]) => [`∂${root}/∂${n} +=`, v]), "sent") : null,
      el("h3", {}, "gradients so far"),
      rows(step.accumulated.map(([n, v, changed]) => [`∂${root}/∂${n}`, v, changed]), "grad-table accumulated"),
    ].filter((child) => child));
  }

  document.getElementById("prev").addEventListener("click", () => go(current - 1));
  document.getElementById("next").addEventListener("click", () => go(current + 1));
  slider.addEventListener("input", () => go(+slider.value));
  document.getElementById("fit").addEventListener("click", () => zoom.fit());
  window.addEventListener("keydown", (event) => {
    if (event.target === slider) return;
    if (event.key === "ArrowRight") go(current + 1);
    if (event.key === "ArrowLeft") go(current - 1);
  });
  go(0);
})();
