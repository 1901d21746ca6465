// The lsconform HTML report: draws the matrix from the embedded JSON
// (reports/html_data.py describes its shape), filters it, and shows one
// result in the detail panel. Data is only ever inserted as text.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("lsc-data").textContent);
  const names = data.candidates.map((c) => c.name);
  const STATUS_TEXT = {
    "expected": "as expected",
    "regression": "regression: a failure its expectations file does not list",
    "unexpected-pass": "unexpected pass: listed as a non-pass, but passed",
    "stale": "stale entry: listed with another verdict",
    "unlisted": "unlisted non-pass",
  };
  // A regression against an entry is a failure other than the one listed, not an unlisted one.
  function statusText(cell) {
    const listed = cell.expectation;
    if (listed.status === "regression" && listed.verdict) {
      return `regression: ${cell.verdict}, but its expectations file lists ${listed.verdict}`;
    }
    // Under --strict every status but "expected" fails the run, as the summary says.
    const strict = data.strict && listed.status !== "expected" && listed.status !== "regression";
    return STATUS_TEXT[listed.status] + (strict ? " (fails the run: --strict)" : "");
  }
  const STATUS_MARK = {"regression": "!", "unexpected-pass": "+", "stale": "~", "unlisted": "?"};
  // A verdict that changed between --repeat repetitions (the cell shows the last one).
  const REPEAT_MARK = "≠";
  function anyRepetitions() {
    return data.areas.some((a) => a.scenarios.some((s) => Object.values(s.cells).some((c) => c && c.repetitions)));
  }
  function repetitionsText(cell) {
    return `changed between repetitions: ${cell.repetitions.join(" → ")}`;
  }
  const filters = {area: "", verdict: "", differs: false, text: ""};
  let selected = null;

  // el("td", {className: "x", text: "y", dataset: {...}, attrs: {...}}, child, ...)
  function el(tag, options, ...children) {
    const node = document.createElement(tag);
    const o = options || {};
    if (o.className) node.className = o.className;
    if (o.text !== undefined && o.text !== null) node.textContent = String(o.text);
    for (const [key, value] of Object.entries(o.dataset || {})) node.dataset[key] = value;
    for (const [key, value] of Object.entries(o.attrs || {})) node.setAttribute(key, value);
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function scoreBlock(score) {
    const bar = el("span", {className: "bar"}, el("span"));
    bar.firstChild.style.width = score.ratio === null ? "0" : (score.ratio * 100).toFixed(1) + "%";
    return el("span", {className: "score", text: score.text}, bar);
  }

  function renderSummary() {
    const header = document.getElementById("summary");
    header.append(el("h1", {text: data.title}));
    const shard = data.shard ? `, shard ${data.shard.index}/${data.shard.count}` : "";
    header.append(el("p", {text: `Suite ${data.suite_version}, run ${data.created}, time scale ` +
      `${data.time_scale}, wall time ${Number(data.wall_time).toFixed(1)} s${shard}.`}));
    header.append(el("ul", {}, ...data.headline.map((line) => el("li", {text: line}))));
  }

  function renderControls() {
    const area = document.getElementById("filter-area");
    for (const a of data.areas) area.append(el("option", {text: a.name, attrs: {value: a.name}}));
    const verdict = document.getElementById("filter-verdict");
    for (const v of data.verdicts) verdict.append(el("option", {text: v, attrs: {value: "v:" + v}}));
    if (data.candidates.some((c) => c.expectations)) {
      const group = el("optgroup", {attrs: {label: "against expectations"}});
      for (const status of Object.keys(STATUS_TEXT)) {
        if (status !== "expected") group.append(el("option", {text: status, attrs: {value: "s:" + status}}));
      }
      verdict.append(group);
    }
    if (anyRepetitions()) {
      verdict.append(el("option", {text: "changed between repetitions", attrs: {value: "r:"}}));
    }
    area.addEventListener("change", () => { filters.area = area.value; applyFilters(); });
    verdict.addEventListener("change", () => { filters.verdict = verdict.value; applyFilters(); });
    const differs = document.getElementById("filter-differs");
    differs.addEventListener("change", () => { filters.differs = differs.checked; applyFilters(); });
    const text = document.getElementById("filter-text");
    text.addEventListener("input", () => { filters.text = text.value.trim().toLowerCase(); applyFilters(); });
    const toggle = document.getElementById("toggle-all");
    toggle.addEventListener("click", () => {
      const collapse = toggle.textContent === "collapse all";
      for (const body of document.querySelectorAll("#matrix tbody.area")) setCollapsed(body, collapse);
      toggle.textContent = collapse ? "expand all" : "collapse all";
    });
    const legend = document.getElementById("legend");
    for (const v of data.verdicts) {
      const swatch = el("span", {className: "swatch v-" + v});
      legend.append(el("li", {}, swatch, document.createTextNode(v)));
    }
    if (anyRepetitions()) {
      legend.append(el("li", {text: `${REPEAT_MARK} verdict changed between repetitions`}));
    }
    if (data.candidates.some((c) => c.expectations)) {
      legend.append(el("li", {}, el("span", {className: "swatch v-FAIL known"}),
        document.createTextNode("striped: a listed non-pass")));
      for (const [status, mark] of Object.entries(STATUS_MARK)) {
        legend.append(el("li", {text: `${mark} ${status}`}));
      }
    }
  }

  function renderMatrix() {
    const table = document.getElementById("matrix");
    const head = el("tr", {}, el("th", {text: "scenario"}));
    for (const c of data.candidates) {
      const cell = el("th", {className: "candidate", attrs: {scope: "col"}}, el("span", {text: c.name}));
      if (c.version) cell.append(el("span", {className: "version", text: c.version}));
      cell.append(scoreBlock(c.score));
      if (c.expectations) cell.append(el("span", {className: "file", text: "vs " + c.expectations}));
      head.append(cell);
    }
    table.append(el("thead", {}, head));
    for (const area of data.areas) table.append(renderArea(area));
    table.addEventListener("click", (event) => {
      const button = event.target.closest("button.cell");
      if (button && !button.classList.contains("missing")) select(button);
    });
  }

  function renderArea(area) {
    const body = el("tbody", {className: "area", dataset: {area: area.name}});
    const toggle = el("button", {text: `${area.name} · ${area.scenarios.length} scenarios`,
      attrs: {type: "button", "aria-expanded": "true"}});
    toggle.addEventListener("click", () => setCollapsed(body, !body.classList.contains("collapsed")));
    const row = el("tr", {className: "area-head"}, el("th", {attrs: {scope: "rowgroup"}}, toggle));
    for (const name of names) row.append(el("td", {}, scoreBlock(area.scores[name])));
    body.append(row);
    area.scenarios.forEach((scenario, index) => {
      const line = el("tr", {className: "row", dataset: {id: scenario.id}},
        el("th", {className: "scenario", attrs: {scope: "row"}},
          el("code", {text: scenario.id}), el("span", {className: "title", text: scenario.title})));
      for (const name of names) line.append(el("td", {}, renderCell(area, index, name, scenario.cells[name])));
      line.lsc = scenario;
      body.append(line);
    });
    return body;
  }

  function renderCell(area, index, name, cell) {
    if (!cell) return el("button", {className: "cell missing", text: "—", attrs: {type: "button", disabled: ""}});
    const status = cell.expectation ? cell.expectation.status : "";
    // Striped: a non-pass its expectations file lists (a pass needs no mark).
    const known = status === "expected" && cell.expectation.verdict ? " known" : "";
    const button = el("button", {className: `cell v-${cell.verdict}` + (status ? ` s-${status}` : "") + known,
      text: cell.verdict, attrs: {type: "button", title: cellTitle(name, cell)},
      dataset: {candidate: name, area: area.name, index: String(index)}});
    if (STATUS_MARK[status]) button.append(el("span", {className: "mark", text: STATUS_MARK[status]}));
    if (cell.repetitions) button.append(el("span", {className: "mark unstable", text: REPEAT_MARK}));
    return button;
  }

  function cellTitle(name, cell) {
    let title = `${name}: ${cell.verdict}`;
    if (cell.expectation) title += ` (${statusText(cell)})`;
    if (cell.repetitions) title += `; ${repetitionsText(cell)}`;
    if (cell.reason) title += `\n${cell.reason}`;
    return title;
  }

  function setCollapsed(body, collapsed) {
    body.classList.toggle("collapsed", collapsed);
    body.querySelector("tr.area-head button").setAttribute("aria-expanded", String(!collapsed));
  }

  function rowMatches(scenario) {
    const cells = names.map((n) => scenario.cells[n]);
    if (filters.differs && !scenario.differs) return false;
    if (filters.text && !(scenario.id.toLowerCase().includes(filters.text) ||
                          scenario.title.toLowerCase().includes(filters.text))) return false;
    if (filters.verdict.startsWith("v:")) {
      const wanted = filters.verdict.slice(2);
      if (!cells.some((c) => c && c.verdict === wanted)) return false;
    } else if (filters.verdict.startsWith("s:")) {
      const wanted = filters.verdict.slice(2);
      if (!cells.some((c) => c && c.expectation && c.expectation.status === wanted)) return false;
    } else if (filters.verdict === "r:") {
      if (!cells.some((c) => c && c.repetitions)) return false;
    }
    return true;
  }

  function applyFilters() {
    let shown = 0;
    let total = 0;
    for (const body of document.querySelectorAll("#matrix tbody.area")) {
      const areaShown = !filters.area || body.dataset.area === filters.area;
      let visible = 0;
      for (const row of body.querySelectorAll("tr.row")) {
        const match = areaShown && rowMatches(row.lsc);
        row.hidden = !match;
        if (match) visible += 1;
        total += 1;
      }
      body.hidden = visible === 0;
      shown += visible;
    }
    document.getElementById("shown-count").textContent = `${shown} of ${total} scenarios shown`;
  }

  function select(button) {
    if (selected) selected.classList.remove("selected");
    selected = button;
    button.classList.add("selected");
    const area = data.areas.find((a) => a.name === button.dataset.area);
    const scenario = area.scenarios[Number(button.dataset.index)];
    showDetail(scenario, button.dataset.candidate);
  }

  function field(list, label, value) {
    if (value === undefined || value === null || value === "") return;
    list.append(el("dt", {text: label}), el("dd", {text: value}));
  }

  function showDetail(scenario, name) {
    const cell = scenario.cells[name];
    const panel = document.getElementById("detail");
    panel.replaceChildren();
    const close = el("button", {className: "close", text: "close", attrs: {type: "button"}});
    close.addEventListener("click", closeDetail);
    panel.append(close, el("h2", {className: "detail-title", text: scenario.title}));
    panel.append(el("p", {}, el("code", {text: scenario.id}), document.createTextNode(` on ${name}`)));
    const verdict = el("p", {}, el("span", {className: `badge verdict v-${cell.verdict}`, text: cell.verdict}));
    if (cell.expectation) verdict.append(document.createTextNode(statusText(cell)));
    panel.append(verdict);
    if (cell.repetitions) panel.append(el("p", {className: "unstable", text: `Verdict ${repetitionsText(cell)}`}));
    const facts = el("dl");
    field(facts, "Manual", scenario.manual);
    field(facts, "Spec clause", scenario.spec);
    field(facts, "Tags", (scenario.tags || []).join(", "));
    field(facts, "Scenario file", scenario.location);
    field(facts, "Step", cell.step);
    field(facts, "Duration", cell.duration === undefined ? "" : `${Number(cell.duration).toFixed(3)} s`);
    if (cell.expectation && cell.expectation.verdict) {
      field(facts, "Listed as", `${cell.expectation.verdict}: ${cell.expectation.reason}`);
    }
    panel.append(facts);
    section(panel, "Reason", cell.reason ? el("p", {className: "reason", text: cell.reason}) : null);
    if (cell.expected) {
      const list = el("ul", {className: "expected"}, ...cell.expected.map((e) => el("li", {}, el("code", {text: e}))));
      section(panel, "Expected outcomes (any one)", cell.expected.length ? list : el("p", {text: "—"}));
    }
    // A NON-STRICT or INFORMATIONAL result keeps what the candidate did, but not the transcript.
    if (cell.expected || cell.actual) {
      section(panel, "Actual", el("pre", {className: "actual", text: cell.actual || "—"}));
    }
    if (!cell.expected) {
      panel.append(el("p", {className: "note", text: cell.verdict === "PASS"
        ? "Expected and actual values and the transcript are kept for non-passes only."
        : "The transcript is kept for non-passes only."}));
    }
    if (cell.leaks && cell.leaks.length) {
      section(panel, "Leaks", el("ul", {}, ...cell.leaks.map((leak) => el("li", {text: leak}))));
    }
    if (cell.transcript && cell.transcript.length) {
      const rows = cell.transcript.map((entry) => el("tr", {},
        el("td", {className: "at", text: `${Number(entry.at).toFixed(3)}s`}),
        el("td", {text: entry.source}), el("td", {text: entry.text})));
      section(panel, "Transcript", el("table", {className: "transcript"}, el("tbody", {}, ...rows)));
    }
    const others = names.filter((n) => n !== name && scenario.cells[n]);
    if (others.length) {
      const buttons = others.map((n) => {
        const b = el("button", {className: `v-${scenario.cells[n].verdict}`,
          text: `${n}: ${scenario.cells[n].verdict}`, attrs: {type: "button"}});
        b.addEventListener("click", () => {
          const target = document.querySelector(
            `#matrix tr.row[data-id="${CSS.escape(scenario.id)}"] button.cell[data-candidate="${CSS.escape(n)}"]`);
          if (target) select(target);
        });
        return b;
      });
      section(panel, "Other candidates", el("div", {className: "others"}, ...buttons));
    }
    panel.hidden = false;
  }

  function section(panel, title, content) {
    if (!content) return;
    panel.append(el("h3", {text: title}), content);
  }

  function closeDetail() {
    document.getElementById("detail").hidden = true;
    if (selected) {
      selected.classList.remove("selected");
      selected.focus();
      selected = null;
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !document.getElementById("detail").hidden) closeDetail();
  });

  // The matrix header sticks just below the filter bar, whose height depends on wrapping.
  function trackControlsHeight() {
    const height = document.getElementById("controls").offsetHeight;
    document.documentElement.style.setProperty("--controls-height", `${height}px`);
  }
  window.addEventListener("resize", trackControlsHeight);

  renderSummary();
  renderControls();
  trackControlsHeight();
  renderMatrix();
  applyFilters();
  document.body.dataset.ready = "true";
})();
