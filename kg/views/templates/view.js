"use strict";
// Builds one kg view from the JSON data island (load.js calls kgStart once vis-network is
// there). Every string from the graph reaches the page through textContent or a DOM node,
// never as HTML.
window.kgStart = function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  // What Python leaves out of an item because it is the default (kg/views/model.py).
  const NODE = { labelZh: "", series: "", border: "", borderWidth: 1, dashes: false, opacity: 1, fontSize: 14 };
  const EDGE = { dashes: false, label: "", opacity: 1, arrow: true, curve: 0 };
  data.nodes = data.nodes.map((n) => Object.assign({}, NODE, n));
  data.edges = data.edges.map((e) => Object.assign({}, EDGE, e));
  const time = data.time || null;
  const impact = data.impact || {};
  const impactOf = new Map((data.impactOf || []).map(([id, changes]) => [id, changes]));
  let month = null;
  let shownImpact = null;
  const hidden = { kind: new Set(), series: new Set(), chain: new Set() };
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  const edgeById = new Map(data.edges.map((e) => [e.id, e]));
  let mode = data.colorModes.length ? data.colorModes[0].key : "";
  let lastQuery = "";
  let cursor = 0;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // A DOM node rather than a string, so vis-network can never read the tooltip as HTML.
  function tip(text) {
    return el("div", text);
  }

  function nodeColor(n) {
    const fill = n.colors[mode] || n.colors[Object.keys(n.colors)[0]];
    return { background: fill, border: n.border || fill, highlight: { background: fill, border: "#000000" },
      hover: { background: fill, border: "#000000" } };
  }

  function visNode(n) {
    return {
      id: n.id, label: n.text || n.label, x: n.x, y: n.y, size: n.size, shape: n.shape, title: tip(n.tip),
      color: nodeColor(n), borderWidth: n.borderWidth, opacity: n.opacity,
      shapeProperties: { borderDashes: n.dashes ? [4, 3] : false },
      font: { size: n.fontSize, color: "#1d1d1f", strokeWidth: 3, strokeColor: "#ffffff" },
    };
  }

  function visEdge(e) {
    const item = {
      id: e.id, from: e.from, to: e.to, title: tip(e.tip), width: e.width, dashes: e.dashes,
      color: { color: e.color, highlight: "#000000", hover: "#000000", opacity: e.opacity },
      arrows: { to: { enabled: e.arrow, scaleFactor: 0.5 } },
      smooth: e.curve ? { enabled: true, type: "curvedCW", roundness: e.curve } : false,
    };
    if (e.label) item.label = e.label;
    return item;
  }

  const nodes = new vis.DataSet(data.nodes.map(visNode));
  const edges = new vis.DataSet(data.edges.map(visEdge));
  // A month of the slider shows what takes part in it (runs of months computed in Python).
  const aliveNow = (item) => month === null || !item.alive || item.alive.some(([a, b]) => a <= month && month < b);
  const nodeShown = (n) => !hidden.kind.has(n.kind) && !hidden.series.has(n.series) && aliveNow(n);
  const nodeView = new vis.DataView(nodes, { filter: (item) => nodeShown(byId.get(item.id)) });
  const edgeView = new vis.DataView(edges, {
    filter: (item) => {
      const e = edgeById.get(item.id);
      return !hidden.chain.has(e.chain) && aliveNow(e) && nodeShown(byId.get(e.from)) && nodeShown(byId.get(e.to));
    },
  });

  const big = data.nodes.length > 500;
  const network = new vis.Network(document.getElementById("graph"), { nodes: nodeView, edges: edgeView }, {
    physics: false,
    layout: { improvedLayout: false, randomSeed: 1 },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big, multiselect: false },
    nodes: { borderWidthSelected: 4 },
    edges: { selectionWidth: 2, hoverWidth: 1, font: { size: 11, align: "middle", strokeWidth: 3 } },
  });

  function showCounts() {
    document.getElementById("counts").textContent =
      `Showing ${nodeView.length} of ${data.nodes.length} nodes and ` +
      `${edgeView.length} of ${data.edges.length} links.`;
  }

  function showDetails(text, page) {
    const box = document.getElementById("details-text");
    box.replaceChildren(el("span", text));
    document.getElementById("details-hint").hidden = true;
    if (page) {
      const link = el("a", "Open the view around it");
      link.href = page;
      box.appendChild(link);
    }
  }

  network.on("beforeDrawing", (ctx) => {
    ctx.save();
    ctx.font = "600 22px system-ui, sans-serif";
    ctx.fillStyle = "#555555";
    for (const a of data.annotations || []) ctx.fillText(a.text, a.x, a.y);
    ctx.restore();
  });

  network.on("selectNode", (ev) => {
    const n = byId.get(ev.nodes[0]);
    showDetails(n.tip, n.page);
    showImpact(n.id);
  });
  network.on("deselectNode", (ev) => {
    if (!ev.nodes.length) clearImpact();
  });
  network.on("selectEdge", (ev) => {
    if (!ev.nodes.length) showDetails(edgeById.get(ev.edges[0]).tip);
  });
  network.on("doubleClick", (ev) => {
    const n = ev.nodes.length ? byId.get(ev.nodes[0]) : null;
    if (n && n.page) window.location.href = n.page;
  });

  function rankOf(n, q) {
    const names = [n.label.toLowerCase(), n.labelZh.toLowerCase()];
    if (names.includes(q)) return 0;
    if (names.some((s) => s.startsWith(q))) return 1;
    return names.some((s) => s.includes(q)) ? 2 : -1;
  }

  // Matches best first; a repeated query steps to the next match.
  function search(text) {
    const q = text.trim().toLowerCase();
    const status = document.getElementById("search-status");
    if (!q) {
      status.textContent = "";
      clearImpact();
      return [];
    }
    const matches = data.nodes
      .map((n) => [rankOf(n, q), n])
      .filter(([r]) => r >= 0)
      .sort((a, b) => a[0] - b[0] || a[1].label.localeCompare(b[1].label) || (a[1].id < b[1].id ? -1 : 1))
      .map(([, n]) => n);
    if (!matches.length) {
      status.textContent = `Nothing is called “${text.trim()}”.`;
      network.unselectAll();
      return [];
    }
    cursor = q === lastQuery ? (cursor + 1) % matches.length : 0;
    lastQuery = q;
    const n = matches[cursor];
    const name = n.labelZh ? `${n.label} (${n.labelZh})` : n.label;
    if (!aliveNow(n)) {
      status.textContent = `${name} does not take part on ${dayNow()}; move the date slider into its lifetime.`;
      return matches.map((m) => m.id);
    }
    if (!nodeShown(n)) {
      status.textContent = `${name} is hidden by a filter; tick its class and series to see it.`;
      return matches.map((m) => m.id);
    }
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: Math.max(network.getScale(), 1.2), animation: false });
    status.textContent = `${cursor + 1} of ${matches.length}: ${name}` + (matches.length > 1 ? " (Enter: next)" : "");
    showDetails(n.tip, n.page);
    showImpact(n.id);
    return matches.map((m) => m.id);
  }

  function setFilter(kind, value, on) {
    if (on) hidden[kind].delete(value);
    else hidden[kind].add(value);
    const box = document.querySelector(`input[data-kind="${kind}"][data-index="${indexOf(kind, value)}"]`);
    if (box) box.checked = on;
    nodeView.refresh();
    edgeView.refresh();
    showCounts();
  }

  function indexOf(kind, value) {
    const group = data.filters.find((f) => f.key === kind);
    return group ? group.values.findIndex((v) => v.value === value) : -1;
  }

  function buildFilters() {
    const root = document.getElementById("filters");
    for (const group of data.filters) {
      if (group.values.length < 2) continue;
      const box = el("fieldset");
      box.appendChild(el("legend", group.title));
      const all = el("div", undefined, "all");
      for (const [text, on] of [["all", true], ["none", false]]) {
        const button = el("button", text);
        button.type = "button";
        button.addEventListener("click", () => group.values.forEach((v) => setFilter(group.key, v.value, on)));
        all.appendChild(button);
      }
      box.appendChild(all);
      group.values.forEach((v, i) => {
        const label = el("label");
        const input = el("input");
        input.type = "checkbox";
        input.checked = true;
        input.dataset.kind = group.key;
        input.dataset.index = String(i);
        input.addEventListener("change", () => setFilter(group.key, v.value, input.checked));
        label.append(input, ` ${v.text} (${v.count})`);
        label.title = v.text;
        box.appendChild(label);
      });
      root.appendChild(box);
    }
  }

  const SVG = "http://www.w3.org/2000/svg";
  const SHAPES = {
    triangle: "8,2 14,14 2,14", triangleDown: "2,2 14,2 8,14", diamond: "8,1 15,8 8,15 1,8",
    hexagon: "4,2 12,2 15,8 12,14 4,14 1,8", star: "8,1 10,6 15,6 11,9 13,15 8,11 3,15 5,9 1,6 6,6",
  };

  function swatch(s) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", s.type === "edge" ? "28" : "16");
    svg.setAttribute("height", "16");
    let mark;
    if (s.type === "edge") {
      mark = document.createElementNS(SVG, "line");
      for (const [k, v] of [["x1", 1], ["y1", 8], ["x2", 27], ["y2", 8]]) mark.setAttribute(k, String(v));
      mark.setAttribute("stroke", s.color);
      mark.setAttribute("stroke-width", String(s.width));
      if (s.dashes) mark.setAttribute("stroke-dasharray", "4 3");
    } else {
      if (SHAPES[s.shape]) {
        mark = document.createElementNS(SVG, "polygon");
        mark.setAttribute("points", SHAPES[s.shape]);
      } else if (s.shape === "square" || s.shape === "box") {
        mark = document.createElementNS(SVG, "rect");
        for (const [k, v] of [["x", 2], ["y", s.shape === "box" ? 4 : 2], ["width", 12], ["height", s.shape === "box" ? 8 : 12]]) {
          mark.setAttribute(k, String(v));
        }
      } else {
        mark = document.createElementNS(SVG, "circle");
        for (const [k, v] of [["cx", 8], ["cy", 8], ["r", 6]]) mark.setAttribute(k, String(v));
      }
      mark.setAttribute("fill", s.color);
      mark.setAttribute("fill-opacity", String(s.opacity));
      mark.setAttribute("stroke", s.border || s.color);
      mark.setAttribute("stroke-width", String(Math.min(s.borderWidth, 3)));
      if (s.dashes) mark.setAttribute("stroke-dasharray", "3 2");
    }
    svg.appendChild(mark);
    return svg;
  }

  function buildLegend() {
    const root = document.getElementById("legend");
    for (const section of data.legend) {
      const box = el("div", undefined, "legend-section");
      if (section.mode) box.dataset.mode = section.mode;
      box.appendChild(el("h3", section.title));
      for (const item of section.items) {
        const row = el("div", undefined, "legend-item");
        row.append(swatch(item.swatch), el("span", item.text));
        box.appendChild(row);
      }
      root.appendChild(box);
    }
    showMode();
  }

  function showMode() {
    document.querySelectorAll(".legend-section[data-mode]").forEach((s) => { s.hidden = s.dataset.mode !== mode; });
  }

  function setColorMode(key) {
    mode = key;
    nodes.update(data.nodes.map((n) => ({ id: n.id, color: nodeColor(n) })));
    light(lit.failed);
    showMode();
  }

  function buildColorBy() {
    if (data.colorModes.length < 2) return;
    const root = document.getElementById("color-by");
    const label = el("label", "Colour by ");
    const select = el("select");
    for (const m of data.colorModes) {
      const option = el("option", m.label);
      option.value = m.key;
      select.appendChild(option);
    }
    select.addEventListener("change", () => setColorMode(select.value));
    label.appendChild(select);
    root.appendChild(label);
  }

  // ------------------------------------------------------------ the date slider

  function dayNow() {
    if (time) return month === null ? time.days[time.days.length - 1] : time.days[month];
    return impact.day;
  }

  function showDate() {
    const label = month === null ? (time ? "all dates (exited ones too)" : "") : `as of ${time.days[month]}`;
    document.getElementById("as-of").textContent = label ? ` · ${label}` : "";
    if (time) document.getElementById("month-text").textContent = label;
  }

  function setMonth(value) {
    month = value === null || value >= time.days.length ? null : value;
    const slider = document.getElementById("month");
    slider.value = String(month === null ? time.days.length : month);
    nodeView.refresh();
    edgeView.refresh();
    showCounts();
    showDate();
    if (shownImpact !== null) {
      if (nodeView.get(shownImpact)) showImpact(shownImpact);
      else clearImpact();
    }
  }

  function buildSlider() {
    if (!time) return;
    document.getElementById("time").hidden = false;
    const slider = document.getElementById("month");
    slider.max = String(time.days.length);
    slider.value = slider.max;
    slider.addEventListener("input", () => setMonth(Number(slider.value)));
    showDate();
  }

  // ------------------------------------------------------------ "if this fails"

  function worldNow() {
    if (time && month !== null) return time.worldOf[month];
    return impact.world;
  }

  const absent = new Set(impact.absent || []);

  // On a page with the slider, "all dates" asks about the latest month.
  function takesPart(n) {
    if (!time) return !absent.has(n.id);
    const at = month === null ? time.days.length - 1 : month;
    return !n.alive || n.alive.some(([a, b]) => a <= at && at < b);
  }

  function cascadeOf(id) {
    const changes = impactOf.get(id);
    if (!changes) return null;
    let found = -1;
    for (const [first, index] of changes) if (first <= worldNow()) found = index;
    return found < 0 ? null : data.impacts[found];
  }

  let lit = { nodes: [], edges: [], failed: [] };

  // Only colour and width change, so a node the reader dragged stays where it is.
  function unlight() {
    nodes.update(lit.nodes.map((id) => {
      const n = byId.get(id);
      return { id, borderWidth: n.borderWidth, color: nodeColor(n) };
    }));
    edges.update(lit.edges.map((id) => {
      const item = visEdge(edgeById.get(id));
      return { id, width: item.width, color: item.color };
    }));
    lit = { nodes: [], edges: [], failed: [] };
  }

  // What falls at the point estimate; those that fall in some draws only stay as they are.
  function light(cascade) {
    const failed = cascade.filter((f) => f.round > 0);
    const ids = failed.filter((f) => byId.has(f.id)).map((f) => f.id);
    const links = [...new Set(failed.flatMap((f) => f.links || []))].filter((id) => edgeById.has(id));
    nodes.update(ids.map((id) => ({ id, borderWidth: 5, color: Object.assign(nodeColor(byId.get(id)), { border: FAILED }) })));
    edges.update(links.map((id) => ({ id, width: 4, color: { color: FAILED, highlight: FAILED, hover: FAILED, opacity: 1 } })));
    lit = { nodes: ids, edges: links, failed: cascade };
  }

  const FAILED = "#c00000";

  function chance(f) {
    const row = el("div", undefined, "chance");
    const bar = el("span", undefined, "bar");
    const fill = el("span", undefined, "fill");
    fill.style.width = `${Math.round(100 * f.p)}%`;
    bar.appendChild(fill);
    row.append(bar, el("span", `fails in ${Math.round(100 * f.p)}% of ${impact.samples} draws`));
    return row;
  }

  function showImpact(id) {
    unlight();
    shownImpact = id;
    const n = byId.get(id);
    const box = document.getElementById("impact-text");
    document.getElementById("impact").hidden = false;
    box.replaceChildren();
    if (impact.note) {
      box.appendChild(el("p", impact.note));
      return [];
    }
    if (n.kind === "Policy" || n.id.startsWith("group:")) {
      box.appendChild(el("p", n.kind === "Policy"
        ? `${n.label} is a policy: it is a shock, not a failure; replay it with kg simulate --policy ${n.id}.`
        : `${n.label} is a group of nodes; each has its failure impact where it is drawn on its own.`));
      return [];
    }
    if (!takesPart(n)) {
      box.appendChild(el("p", `${n.label} does not take part on ${dayNow()}, so it cannot fail then; ` +
        (time ? "move the date slider into its lifetime." : "the view around it shows every date.")));
      return [];
    }
    const failed = cascadeOf(id) || [];
    const sampled = impact.samples && worldNow() === impact.sampled;
    const falls = failed.filter((f) => f.round > 0);
    const day = dayNow();
    const head = falls.length
      ? `If ${n.label} fails (the world of ${day}), ${falls.length} participant(s) fall:`
      : `If ${n.label} fails (the world of ${day}), no participant falls at the point estimate.`;
    box.appendChild(el("p", head));
    const list = el("ol", undefined, "falls");
    for (const f of failed) {
      const item = el("li");
      item.dataset.node = f.id;
      item.dataset.round = String(f.round);
      item.appendChild(el("strong", f.label));
      item.append(f.round ? ` · round ${f.round}: loses ${f.loss} of its ${f.chain}` : " · falls in some draws only");
      if (f.causes && f.causes.length) {
        const causes = el("ul");
        for (const c of f.causes) causes.appendChild(el("li", c));
        item.appendChild(causes);
      }
      if (f.p !== undefined) item.appendChild(chance(f));
      list.appendChild(item);
    }
    if (failed.length) box.appendChild(list);
    const notes = [`Point estimate at threshold ${impact.threshold}; the cascade's links are drawn in red.`];
    notes.push(sampled
      ? `Probabilities: share of ${impact.samples} draws of the weights within their confidence (seed 0).`
      : "Probabilities are drawn for the latest date only.");
    box.appendChild(el("p", notes.join(" "), "impact-note"));
    light(failed);
    return failed.map((f) => f.label);
  }

  function clearImpact() {
    unlight();
    shownImpact = null;
    document.getElementById("impact").hidden = true;
    document.getElementById("impact-text").replaceChildren();
    network.unselectAll();
  }

  document.getElementById("impact-clear").addEventListener("click", clearImpact);

  const input = document.getElementById("search");
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") search(input.value); });
  input.addEventListener("input", () => search(input.value));
  buildColorBy();
  buildFilters();
  buildLegend();
  buildSlider();
  showDate();
  showCounts();

  const view = {
    network, nodes, edges, nodeView, edgeView, ready: false,
    visibleNodeCount: () => nodeView.length,
    visibleEdgeCount: () => edgeView.length,
    search, setFilter, setColorMode, setMonth, showImpact, clearImpact,
    months: () => (time ? time.days.slice() : []),
  };
  network.once("afterDrawing", () => { view.ready = true; });
  window.kgView = view;
};
