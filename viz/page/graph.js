// The graph page: levels of module collapsing laid out by dot, a side panel per node, search, expand/collapse.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const details = document.getElementById("details");
  const results = document.getElementById("results");
  const zoom = {};
  let current = -1;

  // ---- building the panel (text goes through textContent only: names are never parsed as HTML) ----
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "onclick") node.addEventListener("click", value);
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function table(rows) {
    return el("table", {}, ...rows.filter((r) => r && r[1] !== undefined && r[1] !== null)
      .map(([key, value]) => el("tr", {}, el("td", {}, key), el("td", {}, value))));
  }
  function histogram(hist, kind) {
    const ns = "http://www.w3.org/2000/svg";
    const width = 240, height = 44, counts = hist.counts, top = Math.max(...counts, 1);
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "hist " + kind);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    const w = width / counts.length;
    counts.forEach((c, k) => {
      const r = document.createElementNS(ns, "rect");
      const h = c ? Math.max(1, (height - 2) * c / top) : 0;
      r.setAttribute("x", k * w + 0.5);
      r.setAttribute("width", Math.max(w - 1, 1));
      r.setAttribute("y", height - h);
      r.setAttribute("height", h);
      const title = document.createElementNS(ns, "title");
      title.textContent = c + " values";
      r.append(title);
      svg.append(r);
    });
    return el("div", {}, svg, el("div", { className: "muted" }, `${hist.lo} … ${hist.hi}`));
  }
  function summary(title, s, kind) {
    if (!s) return null;
    const rows = [["norm", s.norm], ["size", s.size], ["min", s.min], ["mean", s.mean], ["max", s.max],
                  ["std", s.std], ["NaN", s.nan || undefined], ["Inf", s.inf || undefined]];
    return el("div", { className: "summary " + kind }, el("h3", {}, title), table(rows),
              s.values ? el("pre", {}, s.values) : null, s.hist ? histogram(s.hist, kind) : null);
  }
  function show(...children) {
    details.replaceChildren(...children.filter((c) => c));
  }

  function showNode(i) {
    const d = data.nodes[i];
    const module = d.scope ? (data.modules[d.scope] || {}).title || d.scope : undefined;
    const made = d.source ? el("pre", { className: "source" }, d.source) :
      d.kind === "op" || d.op ? el("p", { className: "muted" },
        "Where it was made was not recorded: make the graph inside tinygrad_notes.record_sources().") :
      el("p", { className: "muted" }, "A leaf: made by your code, not by an op.");
    const check = d.check ? el("div", {}, el("h3", {}, "gradient check"),
      el("p", { className: d.check.passed ? "passed" : "failed" },
        `${d.check.passed ? "passed" : "FAILED"}: ${d.check.verdict || ""} (rel err ${d.check.rel_error})`),
      table([["entry", d.check.name], ["mode", d.check.mode], ["checked", d.check.checked],
             ["failed", d.check.failed], ["worst", d.check.worst]])) : null;
    show(el("h2", {}, d.name || (d.kind === "op" ? d.op : "(unnamed)")),
         table([["kind", d.kind], ["op", d.kind === "op" ? undefined : d.op ? `made by ${d.op}` : undefined],
                ["shape", d.shape], ["module", module], ["attributes", (d.attrs || []).join(", ") || undefined]]),
         d.formula ? el("div", {}, el("h3", {}, "derivative"), el("pre", {}, d.formula)) : null,
         summary("value", d.value, "value"),
         d.value_note ? el("p", { className: "muted" }, "value: " + d.value_note) : null,
         summary("gradient", d.grad, "grad"),
         el("h3", {}, "created at"), made, check);
  }

  function levelWith(test, from, step) {  // the nearest level (searching in direction `step` first) passing test
    const order = [];
    for (let k = from + step; k >= 0 && k < data.levels.length; k += step) order.push(k);
    for (let k = from - step; k >= 0 && k < data.levels.length; k -= step) order.push(k);
    return order.find((k) => test(data.levels[k]));
  }

  function showModule(scope) {
    const info = data.modules[scope] || { title: scope, params: [], ops: "" };
    const expand = levelWith((l) => scope in l.clusters, current, +1);
    const collapse = levelWith((l) => scope in l.collapsed, current, -1);
    const isCollapsed = scope in data.levels[current].collapsed;
    show(el("h2", {}, info.title), table([["kind", isCollapsed ? "module (collapsed)" : "module"],
                                          ["ops", info.ops || undefined]]),
         info.params.length ? el("h3", {}, "parameters") : null,
         info.params.length ? table(info.params.map(([n, s, g]) => [n, s + (g ? `, grad norm ${g}` : "")])) : null,
         el("p", {},
            isCollapsed && expand !== undefined ?
              el("button", { id: "expand", onclick: () => expandModule(scope, expand) }, "Expand") : null,
            !isCollapsed && collapse !== undefined ?
              el("button", { id: "collapse", onclick: () => collapseModule(scope, collapse) }, "Collapse") : null));
  }

  function showGroup(unit) {
    show(el("h2", {}, unit.rows[0] || unit.kind), ...unit.rows.slice(1).map((r) => el("div", {}, r)),
         unit.kind === "repeat" ? el("p", { className: "muted" },
           "Identical blocks drawn once: draw_graph(..., fold=False) or to_html(..., fold=False) draws them all.")
           : null);
  }

  // ---- the levels ----
  function setLevel(k) {
    if (k === current) return;
    if (current >= 0) document.getElementById("level" + current).hidden = true;
    current = k;
    const div = document.getElementById("level" + k);
    div.hidden = false;
    if (!zoom[k]) zoom[k] = vizPanZoom(div.querySelector("svg"));
    for (const b of document.querySelectorAll(".level-button")) b.classList.toggle("active", +b.dataset.level === k);
  }
  function element(unit) { return document.getElementById(`L${current}u${unit}`); }
  function mark(elem, cls) {
    for (const e of document.querySelectorAll("." + cls)) e.classList.remove(cls);
    if (elem) elem.classList.add(cls);
  }
  function selectUnit(u) {
    const unit = data.levels[current].units[u];
    mark(element(u), "selected");
    if (unit.kind === "module") showModule(unit.title);
    else if (unit.members.length === 1 && !data.nodes[unit.members[0]].hidden) showNode(unit.members[0]);
    else showGroup(unit);
  }
  function expandModule(scope, k) {
    setLevel(k);
    const cluster = document.getElementById(data.levels[k].clusters[scope]);
    mark(cluster, "selected");
    if (cluster) zoom[k].centre(cluster);
    showModule(scope);
  }
  function collapseModule(scope, k) {
    setLevel(k);
    const u = data.levels[k].collapsed[scope];
    zoom[k].centre(element(u));
    selectUnit(u);
  }
  function goTo(i) {
    const single = (l) => { const u = l.units[l.unit_of[i]]; return u && u.kind !== "module" && u.members.length === 1; };
    if (!single(data.levels[current])) {
      const k = levelWith(single, current, +1);
      if (k !== undefined) setLevel(k);
    }
    const u = data.levels[current].unit_of[i];
    const elem = element(u);
    mark(elem, "found");
    if (elem) zoom[current].centre(elem);
    selectUnit(u);
    if (data.nodes[i].hidden) {
      details.prepend(el("p", { className: "muted" }, `${data.nodes[i].name} is inside this box.`));
    }
  }

  // ---- events ----
  document.getElementById("canvas").addEventListener("click", (event) => {
    const svg = event.target.closest("svg");
    if (!svg || svg.dataset.dragged) return;
    const node = event.target.closest("g.node");
    const prefix = `L${current}u`;
    if (node && node.id.startsWith(prefix)) { selectUnit(+node.id.slice(prefix.length)); return; }
    const cluster = event.target.closest("g.cluster");
    if (cluster) {
      const scope = Object.keys(data.levels[current].clusters).find((s) => data.levels[current].clusters[s] === cluster.id);
      if (scope !== undefined) { mark(cluster, "selected"); showModule(scope); }
    }
  });
  const search = document.getElementById("search");
  function matches() {
    const q = search.value.trim().toLowerCase();
    if (!q) return [];
    const found = [];
    data.nodes.forEach((d, i) => { if (d.name && d.name.toLowerCase().includes(q)) found.push(["node", i, d.name]); });
    for (const [scope, info] of Object.entries(data.modules)) {
      if (info.title.toLowerCase().includes(q)) found.push(["module", scope, info.title]);
    }
    found.sort((a, b) => (a[2].toLowerCase() !== q) - (b[2].toLowerCase() !== q) || a[2].length - b[2].length);
    return found.slice(0, 30);
  }
  function open([what, key]) {
    if (what === "node") { goTo(key); return; }
    if (key in data.levels[current].collapsed) selectUnit(data.levels[current].collapsed[key]);
    else if (key in data.levels[current].clusters) {
      const cluster = document.getElementById(data.levels[current].clusters[key]);
      mark(cluster, "selected"); zoom[current].centre(cluster); showModule(key);
    } else {
      const k = levelWith((l) => key in l.clusters || key in l.collapsed, current, +1);
      if (k !== undefined) { setLevel(k); open([what, key]); }
    }
  }
  search.addEventListener("input", () => {
    const found = matches();
    results.replaceChildren(...found.map((m) => el("button", { onclick: () => open(m) }, m[2])));
    if (!found.length && search.value.trim()) {
      results.append(el("p", { className: "muted" }, `No tensor or module is named like "${search.value.trim()}".`));
    }
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { const m = matches(); if (m.length) open(m[0]); }
  });
  for (const b of document.querySelectorAll(".level-button")) b.addEventListener("click", () => setLevel(+b.dataset.level));
  document.getElementById("fit").addEventListener("click", () => zoom[current].fit());
  setLevel(data.start);
})();
