"use strict";
// Builds one kg view from the JSON data island. Every string from the graph reaches the
// page through textContent or a DOM node, never as HTML.
(function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
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
      id: n.id, label: n.label, x: n.x, y: n.y, size: n.size, shape: n.shape, title: tip(n.tip),
      color: nodeColor(n), borderWidth: n.borderWidth, opacity: n.opacity,
      shapeProperties: { borderDashes: n.dashes ? [4, 3] : false },
      font: { size: n.fontSize, color: "#1d1d1f", strokeWidth: 3, strokeColor: "#ffffff" },
      widthConstraint: n.shape === "box" ? undefined : { maximum: 130 },
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
  const nodeShown = (n) => !hidden.kind.has(n.kind) && !hidden.series.has(n.series);
  const nodeView = new vis.DataView(nodes, { filter: (item) => nodeShown(byId.get(item.id)) });
  const edgeView = new vis.DataView(edges, {
    filter: (item) => {
      const e = edgeById.get(item.id);
      return !hidden.chain.has(e.chain) && nodeShown(byId.get(e.from)) && nodeShown(byId.get(e.to));
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

  network.on("selectNode", (ev) => {
    const n = byId.get(ev.nodes[0]);
    showDetails(n.tip, n.page);
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
      network.unselectAll();
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
    if (!nodeShown(n)) {
      status.textContent = `${name} is hidden by a filter; tick its class and series to see it.`;
      return matches.map((m) => m.id);
    }
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: Math.max(network.getScale(), 1.2), animation: false });
    status.textContent = `${cursor + 1} of ${matches.length}: ${name}` + (matches.length > 1 ? " (Enter: next)" : "");
    showDetails(n.tip, n.page);
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

  const input = document.getElementById("search");
  input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") search(input.value); });
  input.addEventListener("input", () => search(input.value));
  buildColorBy();
  buildFilters();
  buildLegend();
  showCounts();

  const view = {
    network, nodes, edges, nodeView, edgeView, ready: false,
    visibleNodeCount: () => nodeView.length,
    visibleEdgeCount: () => edgeView.length,
    search, setFilter, setColorMode,
  };
  network.once("afterDrawing", () => { view.ready = true; });
  window.kgView = view;
})();
