// dialogym report: renders the JSON in #report-data. Text from the data only ever goes into
// textContent or SVG text nodes (never parsed as HTML); the dialogue list renders one page of
// rows at a time and a dialogue's turns only when it is opened.
(function () {
  "use strict";

  const report = JSON.parse(document.getElementById("report-data").textContent);
  const dialogues = report.dialogues;
  const PAGE = 100;
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2857b8", "#e07b00", "#1a7f4b", "#b42318", "#7a4fc2", "#0f8a9d",
                   "#c2478b", "#6b7b1a", "#56606f", "#a36b2b"];

  // ---------------------------------------------------------------- building elements

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const colors = new Map();
  function colorOf(label) {
    if (!colors.has(label)) colors.set(label, PALETTE[colors.size % PALETTE.length]);
    return colors.get(label);
  }

  function fixed(value, digits) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
  }

  // ---------------------------------------------------------------- header and tabs

  document.getElementById("sources").textContent = report.sources
    .map((s) => `${s.kind}: ${s.path}` + (s.kind === "dialogues" ? ` (${s.dialogues} dialogues)` : ""))
    .join(" · ");

  const panels = { results: document.getElementById("results"), dialogues: document.getElementById("dialogues") };
  const tabs = {};
  function showTab(name) {
    for (const [key, panel] of Object.entries(panels)) {
      panel.hidden = key !== name;
      if (tabs[key]) tabs[key].setAttribute("aria-selected", String(key === name));
    }
  }
  for (const [key, label] of [["results", "Results"], ["dialogues", `Dialogues (${dialogues.length})`]]) {
    if (key === "dialogues" && dialogues.length === 0) continue;
    const button = el("button", { type: "button", role: "tab", id: `tab-${key}` }, label);
    button.addEventListener("click", () => showTab(key));
    tabs[key] = button;
    document.getElementById("tabs").append(button);
  }

  // ---------------------------------------------------------------- results

  function sortableTable(block) {
    const table = el("table", { class: "sortable" });
    const head = el("tr");
    const body = el("tbody");
    let rows = block.rows.slice();
    const cellValue = (cell) => (Array.isArray(cell) ? cell[0] : cell);
    const cellText = (cell) => (Array.isArray(cell) ? cell[1] : cell === null ? "–" : cell);
    function fill() {
      body.replaceChildren(...rows.map((row) => el("tr", null, ...row.map((cell, i) =>
        el("td", { class: block.columns[i].numeric ? "num" : null }, cellText(cell))))));
    }
    block.columns.forEach((column, index) => {
      const th = el("th", { class: column.numeric ? "num" : null, title: "sort" }, column.label);
      th.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        for (const other of head.children) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.sort((a, b) => {
          const x = cellValue(a[index]), y = cellValue(b[index]);
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        fill();
      });
      head.append(th);
    });
    fill();
    table.append(el("thead", null, head), body);
    return table;
  }

  function legend(labels) {
    const box = el("div", { class: "legend" });
    for (const label of labels) {
      const item = el("span", null, label);
      item.style.setProperty("--swatch", colorOf(label));
      box.append(item);
    }
    return box;
  }

  function niceTicks(low, high, count) {
    const span = high - low || 1;
    const step0 = Math.pow(10, Math.floor(Math.log10(span / count)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * step0).find((s) => span / s <= count) || step0 * 10;
    const ticks = [];
    for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(+t.toFixed(10));
    return ticks;
  }

  function barChart(block) {
    const labels = [...new Set(block.groups.flatMap((g) => g.bars.map((b) => b.label)))];
    const barWidth = 22, gap = 26, left = 44, top = 12, height = 180;
    const groupWidth = labels.length * barWidth;
    const width = left + block.groups.length * (groupWidth + gap) + 10;
    const y = (v) => top + height * (1 - Math.max(0, Math.min(1, v)));
    const chart = svg("svg", { class: "chart bars", width, height: top + height + 36, role: "img" });
    chart.append(svg("title", null, block.title));
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      chart.append(svg("g", { class: "grid" }, svg("line", { x1: left, x2: width - 6, y1: y(tick), y2: y(tick) })));
      chart.append(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, `${tick * 100}%`));
    }
    block.groups.forEach((group, g) => {
      const x0 = left + gap / 2 + g * (groupWidth + gap);
      for (const bar of group.bars) {
        const x = x0 + labels.indexOf(bar.label) * barWidth;
        const rect = svg("rect", { class: "bar", x: x + 2, width: barWidth - 4, y: y(bar.value),
                                   height: Math.max(0.5, y(0) - y(bar.value)), fill: colorOf(bar.label) });
        rect.append(svg("title", null, `${group.label} · ${bar.label}: ${(bar.value * 100).toFixed(1)}%` +
          (bar.error !== null && bar.error !== undefined ? ` ± ${(bar.error * 100).toFixed(1)}` : "")));
        chart.append(rect);
        if (bar.error) {
          const cx = x + barWidth / 2;
          chart.append(svg("line", { x1: cx, x2: cx, y1: y(bar.value + bar.error), y2: y(bar.value - bar.error), stroke: "#1d2330" }));
        }
        chart.append(svg("text", { x: x + barWidth / 2, y: y(bar.value + (bar.error || 0)) - 3, "text-anchor": "middle", "font-size": "9" },
          Math.round(bar.value * 100)));
      }
      chart.append(svg("text", { x: x0 + groupWidth / 2, y: top + height + 16, "text-anchor": "middle" }, group.label));
    });
    chart.append(svg("g", { class: "axis" }, svg("line", { x1: left, x2: width - 6, y1: y(0), y2: y(0) })));
    return [legend(labels), chart];
  }

  function curveChart(block) {
    const width = 560, height = 250, left = 52, right = 12, top = 12, bottom = 38;
    const points = block.series.flatMap((s) => s.points);
    if (points.length === 0) return [el("p", { class: "note" }, "No test records with a number of dialogues to draw.")];
    const xs = points.map((p) => p[0]);
    const ys = points.flatMap((p) => [p[2], p[3]]);
    const xLow = Math.min(0, ...xs), xHigh = Math.max(...xs, 1);
    let yLow = block.rate ? 0 : Math.min(...ys), yHigh = block.rate ? 1 : Math.max(...ys);
    if (yLow === yHigh) { yLow -= 1; yHigh += 1; }
    const X = (v) => left + (width - left - right) * (v - xLow) / (xHigh - xLow);
    const Y = (v) => top + (height - top - bottom) * (1 - (v - yLow) / (yHigh - yLow));
    const chart = svg("svg", { class: "chart curves", width, height, role: "img" });
    chart.append(svg("title", null, block.title));
    for (const tick of niceTicks(yLow, yHigh, 5)) {
      chart.append(svg("g", { class: "grid" }, svg("line", { x1: left, x2: width - right, y1: Y(tick), y2: Y(tick) })));
      chart.append(svg("text", { x: left - 6, y: Y(tick) + 4, "text-anchor": "end" },
        block.rate ? `${Math.round(tick * 100)}%` : tick));
    }
    for (const tick of niceTicks(xLow, xHigh, 6)) {
      chart.append(svg("text", { x: X(tick), y: height - bottom + 15, "text-anchor": "middle" }, tick));
    }
    chart.append(svg("text", { x: (left + width) / 2, y: height - 6, "text-anchor": "middle" }, block.x));
    chart.append(svg("text", { x: 12, y: (top + height - bottom) / 2, "text-anchor": "middle",
                               transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, block.y));
    chart.append(svg("g", { class: "axis" },
      svg("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }),
      svg("line", { x1: left, x2: left, y1: top, y2: height - bottom })));
    for (const level of block.levels || []) {
      const line = svg("line", { x1: left, x2: width - right, y1: Y(level.value), y2: Y(level.value),
                                 stroke: colorOf(level.label), "stroke-width": 1.5, "stroke-dasharray": "5 4" });
      line.append(svg("title", null, `${level.label} (does not learn): ${(level.value * 100).toFixed(1)}%`));
      chart.append(line);
    }
    for (const series of block.series) {
      const color = colorOf(series.label);
      if (series.points.some((p) => p[2] !== p[3])) {
        const band = series.points.map((p) => `${X(p[0])},${Y(p[3])}`)
          .concat(series.points.slice().reverse().map((p) => `${X(p[0])},${Y(p[2])}`));
        chart.append(svg("polygon", { points: band.join(" "), fill: color, "fill-opacity": 0.15 }));
      }
      chart.append(svg("polyline", { points: series.points.map((p) => `${X(p[0])},${Y(p[1])}`).join(" "),
                                     fill: "none", stroke: color, "stroke-width": 2 }));
      for (const p of series.points) {
        const dot = svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: color });
        const shown = block.rate ? `${(p[1] * 100).toFixed(1)}%` : p[1].toFixed(2);
        dot.append(svg("title", null, `${series.label} after ${Math.round(p[0])} dialogues: ${shown}`));
        chart.append(dot);
      }
    }
    return [legend(block.series.map((s) => s.label).concat((block.levels || []).map((l) => l.label))), chart];
  }

  function renderBlock(block) {
    const box = el("div", { class: `block block-${block.type}` });
    if (block.title) box.append(el("h3", null, block.title));
    if (block.type === "table") box.append(sortableTable(block));
    else if (block.type === "bars") box.append(...barChart(block));
    else if (block.type === "curves") box.append(...curveChart(block));
    else if (block.type === "pairs") {
      box.append(el("table", { class: "pairs" }, el("tbody", null,
        ...block.pairs.map(([key, value]) => el("tr", null, el("th", null, key), el("td", null, el("code", null, value)))))));
    } else if (block.type === "note") box.append(el("p", { class: "note" }, block.text));
    return box;
  }

  report.sources.forEach((source, index) => {
    const blocks = report.blocks.filter((b) => b.source === index);
    if (blocks.length === 0) return;
    if (report.sources.length > 1) panels.results.append(el("h2", null, `${source.kind}: ${source.path}`));
    for (const block of blocks) panels.results.append(renderBlock(block));
  });

  // ---------------------------------------------------------------- dialogue list

  const filters = {
    outcome: document.getElementById("filter-outcome"),
    policy: document.getElementById("filter-policy"),
    task: document.getElementById("filter-task"),
    minTurns: document.getElementById("filter-min-turns"),
    maxTurns: document.getElementById("filter-max-turns"),
    text: document.getElementById("filter-text"),
  };
  for (const [key, select] of [["policy", filters.policy], ["task", filters.task]]) {
    select.append(el("option", { value: "" }, "all"));
    for (const value of [...new Set(dialogues.map((d) => d[key]))].sort()) select.append(el("option", { value }, value));
  }

  function outcomeOf(d) {
    if (d.success === true) return ["succeeded", "ok"];
    if (d.success === false) return [d.hung_up ? "hung up" : d.truncated ? "out of turns" : "failed", "bad"];
    return [d.hung_up ? "hung up" : "unknown", "unknown"];
  }

  function matches(d, wanted) {
    switch (wanted.outcome) {
      case "success": if (d.success !== true) return false; break;
      case "failed": if (d.success !== false) return false; break;
      case "hung_up": if (!d.hung_up) return false; break;
      case "truncated": if (!d.truncated) return false; break;
    }
    if (wanted.policy && d.policy !== wanted.policy) return false;
    if (wanted.task && d.task !== wanted.task) return false;
    if (wanted.minTurns !== null && d.turns < wanted.minTurns) return false;
    if (wanted.maxTurns !== null && d.turns > wanted.maxTurns) return false;
    if (wanted.text) {
      if (!d.search) {
        d.search = [d.goal, ...d.transcript.flatMap((t) => [t[2], t[3], t[4], t[5]])].join("\n").toLowerCase();
      }
      if (!d.search.includes(wanted.text)) return false;
    }
    return true;
  }

  const numberOrNull = (input) => (input.value === "" ? null : Number(input.value));
  let shown = [], page = 0, opened = -1;

  function applyFilters() {
    const wanted = { outcome: filters.outcome.value, policy: filters.policy.value, task: filters.task.value,
                     minTurns: numberOrNull(filters.minTurns), maxTurns: numberOrNull(filters.maxTurns),
                     text: filters.text.value.trim().toLowerCase() };
    shown = [];
    dialogues.forEach((d, index) => { if (matches(d, wanted)) shown.push(index); });
    page = 0;
    renderList();
  }

  function renderList() {
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    const rows = shown.slice(page * PAGE, (page + 1) * PAGE).map((index) => {
      const d = dialogues[index];
      const [outcome, kind] = outcomeOf(d);
      const row = el("tr", { "data-index": index, class: index === opened ? "selected" : null },
        el("td", null, index + 1), el("td", null, d.policy), el("td", null, d.task),
        el("td", null, el("span", { class: `badge ${kind}` }, outcome)),
        el("td", { class: "num" }, d.turns), el("td", { class: "num" }, fixed(d.return, 1)),
        el("td", { class: "why", title: d.reasons.join("; ") }, d.reasons.length ? d.reasons[0] : ""));
      row.addEventListener("click", () => openDialogue(index));
      return row;
    });
    document.querySelector("#dialogue-list tbody").replaceChildren(...rows);
    document.getElementById("filter-count").textContent = `${shown.length} of ${dialogues.length} dialogues`;
    document.getElementById("page-label").textContent = shown.length
      ? `${page * PAGE + 1}–${Math.min(shown.length, (page + 1) * PAGE)} of ${shown.length}` : "none";
    document.getElementById("page-previous").disabled = page === 0;
    document.getElementById("page-next").disabled = page >= pages - 1;
  }

  document.getElementById("page-previous").addEventListener("click", () => { page -= 1; renderList(); });
  document.getElementById("page-next").addEventListener("click", () => { page += 1; renderList(); });
  for (const input of Object.values(filters)) input.addEventListener("input", applyFilters);
  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());

  // ---------------------------------------------------------------- one dialogue

  function meterRow(label, probability, extraClass) {
    const meter = el("span", { class: "meter" }, el("span"));
    meter.firstChild.style.width = `${Math.max(0, Math.min(1, probability || 0)) * 100}%`;
    return el("li", { class: extraClass }, meter, el("span", { class: "num" }, fixed(probability, 2)), el("code", null, label));
  }

  // Acts in any order are the same acts: "inform(a=1) & inform(b=2)" is "inform(b=2) & inform(a=1)".
  const sameActs = (one, other) => one.split(" & ").sort().join(" & ") === other.split(" & ").sort().join(" & ");

  function renderTurn(turn, goal) {
    const [number, action, systemActs, systemWords, userActs, userWords, heard, belief, reward] = turn;
    const misheard = heard.length > 0 && !sameActs(heard[0][0], userActs);
    const box = el("div", { class: `turn${misheard ? " misheard" : ""}`, "data-turn": number },
      el("div", { class: "turn-head" }, el("span", null, `turn ${number}`),
         el("span", { class: "action" }, action), el("span", { class: "reward" }, `reward ${fixed(reward, 1)}`)));
    const said = (who, acts, words) => el("div", { class: `row said ${who}` }, el("span", { class: "who" }, who),
      el("div", null, el("code", null, acts), words ? el("span", { class: "words" }, words) : null));
    box.append(said("system", systemActs, systemWords), said("user", userActs, userWords));
    if (heard.length) {
      box.append(el("div", { class: "row heard" }, el("span", { class: "who" }, misheard ? "misheard" : "heard"),
        el("ul", null, ...heard.map(([acts, confidence]) => meterRow(acts, confidence, sameActs(acts, userActs) ? "true" : null)))));
    }
    if (belief.length) {
      box.append(el("div", { class: "row belief" }, el("span", { class: "who" }, "belief"),
        el("ul", null, ...belief.flatMap(([slot, values]) => values.map(([value, probability], rank) => {
          const wrong = rank === 0 && slot in goal && goal[slot] !== value;
          return meterRow(`${slot} = ${value}`, probability, wrong ? "wrong" : null);
        })))));
    }
    return box;
  }

  const UNMET = new Set(["not met", "misheard", "never given"]);

  function renderOutcome(d) {
    const [outcome, kind] = outcomeOf(d);
    const box = el("section", { class: `outcome ${kind}` },
      el("h3", null, d.reasons.length ? `${outcome === "succeeded" ? "Succeeded" : "Failed"}: ${d.reasons[0]}` : `Outcome: ${outcome}`));
    if (d.reasons.length > 1) box.append(el("ul", { class: "reasons" }, ...d.reasons.slice(1).map((r) => el("li", null, r))));
    if (d.goal_parts.length) {
      const rows = d.goal_parts.map(([part, item, verdict, note]) => el("tr", null,
        el("td", null, part), el("td", null, el("code", null, item)),
        el("td", { class: UNMET.has(verdict) ? "unmet" : verdict === "met" ? "met" : null }, verdict || "?"),
        el("td", null, note)));
      box.append(el("table", { class: "goal-parts" },
        el("thead", null, el("tr", null, el("th", null, "goal"), el("th", null, "item"), el("th", null, "verdict"), el("th", null, "what happened"))),
        el("tbody", null, ...rows)));
    }
    return box;
  }

  function openDialogue(index) {
    const d = dialogues[index];
    opened = index;
    for (const row of document.querySelectorAll("#dialogue-list tbody tr")) {
      row.classList.toggle("selected", Number(row.dataset.index) === index);
    }
    const goal = {};
    for (const [part, item] of d.goal_parts) {
      if (part === "constraint") { const at = item.indexOf("="); goal[item.slice(0, at)] = item.slice(at + 1); }
    }
    const [outcome, kind] = outcomeOf(d);
    const position = shown.indexOf(index);
    const nav = el("span", { class: "dialogue-nav" });
    for (const [label, step] of [["← previous", -1], ["next →", 1]]) {
      const target = shown[position + step];
      const button = el("button", { type: "button", disabled: position < 0 || target === undefined }, label);
      button.addEventListener("click", () => openDialogue(target));
      nav.append(button, " ");
    }
    const facts = [d.policy, d.task, d.episode !== null ? `episode ${d.episode}` : null,
                   d.seed !== null ? `seed ${d.seed}` : null, `${d.turns} turns`, `return ${fixed(d.return, 1)}`,
                   report.sources.length > 1 ? report.sources[d.source].path : null].filter((x) => x !== null);
    const view = document.getElementById("dialogue-view");
    view.replaceChildren(
      el("div", { class: "dialogue-head" }, nav,
        el("h2", null, `Dialogue ${index + 1} `, el("span", { class: `badge ${kind}` }, outcome)),
        el("p", { class: "muted" }, facts.join(" · ")),
        d.reasons.length ? el("p", { class: "why" }, `why it failed: ${d.reasons[0]}`) : null,
        el("p", { class: "goal" }, "goal: ", el("code", null, d.goal || "–"))),
      ...(d.transcript.length ? d.transcript.map((turn) => renderTurn(turn, goal))
        : [el("p", { class: "note" }, "This line holds no turns.")]),
      renderOutcome(d));
    view.scrollTop = 0;
    history.replaceState(null, "", `#dialogue-${index + 1}`);
  }

  applyFilters();
  const linked = /^#dialogue-(\d+)$/.exec(location.hash);
  if (linked && dialogues[Number(linked[1]) - 1]) {
    showTab("dialogues");
    openDialogue(Number(linked[1]) - 1);
  } else {
    showTab(report.blocks.length || dialogues.length === 0 ? "results" : "dialogues");
  }
})();
