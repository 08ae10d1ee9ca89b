// The workbench's editing, loaded by the preview page when it is served by `poster workbench`
// (poster_engine/preview/workbench.py does the work; this file only asks and shows). No libraries,
// no build step. Every writing request carries the session token of the page's <meta>, and the
// browser adds this page's Origin: the server refuses any request that lacks either.
"use strict";
(() => {
  const token = document.querySelector('meta[name="workbench-token"]').content;
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    e.append(...children);
    return e;
  };
  const DEBOUNCE_MS = 350;

  document.head.append(el("style", { text: `
    .wb-bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .wb-bar button, .wb-row-tools button { font: inherit; padding: 3px 10px; }
    button:focus-visible, textarea:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #1a5fd0; outline-offset: 1px; }
    #wb-status { flex-basis: 100%; min-height: 1.4em; font-size: 13px; }
    #wb-status.bad { color: var(--bad); font-weight: 600; }
    #wb-status.good { color: #1a6a2a; }
    .wb-row-tools { display: inline-flex; gap: 8px; margin-left: 12px; vertical-align: middle; font-size: 13px; font-weight: 400; }
    .wb-editor { flex: 0 1 440px; align-self: stretch; margin: 0; padding: 10px 12px; background: #fff;
                 border-left: 4px solid #1a5fd0; overflow-y: auto; max-height: calc(var(--card-h) + 24px); }
    .wb-editor h3 { margin: 0 0 6px; font-size: 14px; }
    .wb-field { margin: 8px 0; }
    .wb-field label { display: block; font-weight: 600; font-size: 12px; }
    .wb-field textarea, .wb-field input { width: 100%; font: 15px/1.35 system-ui, sans-serif; padding: 4px 6px; }
    .wb-field textarea { min-height: 3.2em; resize: vertical; }
    .wb-fit { display: block; font-size: 12px; color: var(--muted); }
    .wb-fit.bad { color: var(--bad); font-weight: 600; white-space: pre-wrap; }
    .wb-actions { display: flex; gap: 8px; margin-top: 8px; }
    .wb-findings { margin: 8px 0 0; padding-left: 18px; max-width: 900px; font-size: 12px; }
    .wb-findings li.error { color: var(--bad); }
    .frame.draft { outline: 3px dashed #1a5fd0; outline-offset: 2px; }
    /* While editing, each text's fitted size sits on the text in the draft images. */
    body.wb-edit-mode .frame.draft .ov-size { display: flex !important; }
    .wb-edit-mode .frame { cursor: text; }
    dialog.wb-dialog { max-width: 640px; width: 90vw; }
    dialog.wb-dialog label { display: block; margin: 6px 0 2px; font-weight: 600; font-size: 12px; }
    dialog.wb-dialog select, dialog.wb-dialog input[type=text] { width: 100%; font: inherit; }
    #wb-build-panel { margin: 12px 20px 0; padding: 8px 12px; background: #fff; }
    #wb-build-panel li { margin: 4px 0; font-size: 13px; }
    #wb-build-panel .alt { color: var(--muted); display: block; }
  ` }));

  async function call(path, body, raw) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": raw ? "application/octet-stream" : "application/json", "X-Workbench-Token": token },
      body: raw ? body : JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    return { ok: res.ok, status: res.status, data };
  }
  async function get(path) {
    const res = await fetch(path, { cache: "no-store" });
    const data = await res.json();
    return { ok: res.ok, data };
  }

  // -- the header: language, undo/redo, new poster, build ------------------------------------------
  const status = el("p", { id: "wb-status", role: "status", "aria-live": "polite" });
  const say = (text, kind = "") => { status.textContent = text; status.className = kind; };
  const langSelect = el("select", { id: "wb-lang", "aria-label": "language being edited" });
  const undoBtn = el("button", { id: "wb-undo", type: "button", text: "Undo", disabled: true, onclick: () => history(false) });
  const redoBtn = el("button", { id: "wb-redo", type: "button", text: "Redo", disabled: true, onclick: () => history(true) });
  const newBtn = el("button", { id: "wb-new", type: "button", text: "New poster…", onclick: () => openNew() });
  const buildBtn = el("button", { id: "wb-build", type: "button", text: "Build selected", onclick: () => startBuild() });
  document.querySelector("header").append(
    el("div", { class: "wb-bar" }, el("label", { for: "wb-lang", text: "Edit in" }), langSelect, undoBtn, redoBtn, newBtn, buildBtn),
    status,
  );
  document.querySelector("header h1").firstChild.textContent = "poster workbench ";
  document.title = "poster workbench";
  const buildPanel = el("section", { id: "wb-build-panel", hidden: true, "aria-label": "build" });
  document.getElementById("errors").after(buildPanel);

  function showHistory(h) {
    if (!h || h.undo === undefined) return;
    undoBtn.disabled = h.undo === 0;
    redoBtn.disabled = h.redo === 0;
    undoBtn.title = h.undo_what ? `Undo: ${h.undo_what}` : "";
    redoBtn.title = h.redo_what ? `Redo: ${h.redo_what}` : "";
  }
  async function history(redo) {
    const r = await call(redo ? "/api/redo" : "/api/undo", {});
    if (!r.ok) return say(r.data.error, "bad");
    showHistory(r.data);
    if (editor) await loadFields(editor.poster);  // the fields show the file's text again
    say(`${redo ? "Redone" : "Undone"}: ${r.data.file}`, "good");
  }

  // -- rows: edit, check, pick for build -------------------------------------------------------------
  let state = null;
  const picked = new Set();
  document.addEventListener("preview:render", (ev) => {
    state = ev.detail;
    for (const row of state.rows) {
      if (row.kind !== "poster") continue;
      const section = document.querySelector(`.row[data-row="${CSS.escape(row.id)}"]`);
      if (!section || section.querySelector(".wb-row-tools")) continue;
      const pick = el("input", { type: "checkbox", class: "wb-pick", "aria-label": `select ${row.id} for build`,
        onchange: (e) => { e.target.checked ? picked.add(row.id) : picked.delete(row.id); } });
      const tools = el("span", { class: "wb-row-tools" },
        el("label", {}, pick, " build"),
        el("button", { type: "button", class: "wb-edit", text: "Edit texts", onclick: () => openEditor(row.id) }),
        el("button", { type: "button", class: "wb-check", text: "Check", onclick: () => runCheck(row.id) }),
      );
      section.querySelector("h2").append(tools);
      section.querySelector(".cards").addEventListener("click", (e) => clickText(row.id, e));
    }
  });

  // Clicking a text on a poster opens the editor on the field that slot shows.
  function clickText(rowId, ev) {
    const frame = ev.target.closest(".frame");
    if (!frame || !state) return;
    const fmt = frame.closest(".card").dataset.format;
    const row = state.rows.find((r) => r.id === rowId);
    const card = row && row.cards.find((c) => c.format === fmt);
    if (!card || !card.overlay) return;
    const box = frame.getBoundingClientRect();
    const [pw, ph] = card.overlay.page;
    const x = (ev.clientX - box.left) / box.width * pw, y = (ev.clientY - box.top) / box.height * ph;
    const hit = card.overlay.slots.find((s) => s.fields && s.fields.length && x >= s.box[0] && x <= s.box[0] + s.box[2]
      && y >= s.box[1] && y <= s.box[1] + s.box[3]);
    openEditor(rowId, hit ? hit.fields : []);
  }

  // -- the editor ---------------------------------------------------------------------------------------
  let editor = null;  // {poster, base, lang, fields: Map(name -> {input, fit, original}), timer, el}

  async function openEditor(poster, focusFields = []) {
    if (editor && editor.poster !== poster) closeEditor();
    if (!editor) await loadFields(poster);
    if (!editor) return;
    const target = [...editor.fields.values()].find((f) => focusFields.includes(f.shows)) || editor.fields.values().next().value;
    if (target) target.input.focus();
  }

  async function loadFields(poster) {
    const lang = langSelect.value;  // empty at first: the server answers in the campaign's language
    const r = await get(`/api/fields?poster=${encodeURIComponent(poster)}&lang=${encodeURIComponent(lang)}`);
    if (!r.ok) return say(r.data.error, "bad");
    const d = r.data;
    if (!langSelect.options.length) {
      for (const code of d.languages) langSelect.append(el("option", { value: code, text: code }));
    }
    langSelect.value = d.lang;
    showHistory(d);
    const section = document.querySelector(`.row[data-row="${CSS.escape(poster)}"]`);
    const form = el("form", { class: "wb-editor", "aria-label": `texts of ${poster}`, onsubmit: (e) => { e.preventDefault(); save(); } });
    form.append(el("h3", { text: `Texts of ${poster} · ${d.lang}` }));
    const fields = new Map();
    for (const f of d.fields) {
      const id = `wb-${poster}-${f.name}`.replace(/[^a-zA-Z0-9_-]/g, "-");
      const multi = f.kind === "text" || f.name === "film.title";
      const input = multi
        ? el("textarea", { id, name: f.name, lang: d.lang, rows: 2 })
        : el("input", { id, name: f.name, lang: d.lang, type: f.kind === "url" ? "url" : "text",
                        inputmode: f.kind === "number" || f.kind === "year" ? "decimal" : undefined });
      input.value = f.value;
      input.addEventListener("input", schedule);
      input.addEventListener("keydown", (e) => {
        if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); save(); }
        if (e.key === "Escape") { e.preventDefault(); closeEditor(); }
      });
      const fit = el("output", { class: "wb-fit", for: id, "data-field": f.name });
      form.append(el("div", { class: "wb-field" }, el("label", { for: id, text: f.label }), input, fit));
      fields.set(f.name, { input, fit, original: f.value, shows: f.shows });
    }
    form.append(el("div", { class: "wb-actions" },
      el("button", { type: "submit", class: "wb-save", text: "Save (Ctrl+Enter)" }),
      el("button", { type: "button", class: "wb-close", text: "Close (Esc)", onclick: closeEditor }),
    ));
    if (editor) editor.el.remove();
    section.querySelector(".cards").append(form);  // beside the formats it redraws
    document.body.classList.add("wb-edit-mode");
    editor = { poster, base: d.base, lang: d.lang, fields, timer: null, el: form, seq: 0 };
    draft();  // the fit of every field, at once
  }

  function closeEditor() {
    if (!editor) return;
    editor.el.remove();
    document.body.classList.remove("wb-edit-mode");
    const poster = editor.poster;
    // The live images again (the draft ones were never saved, or the saved ones are on their way).
    const row = state && state.rows.find((r) => r.id === poster);
    for (const frame of document.querySelectorAll(".frame.draft")) {
      frame.classList.remove("draft");
      const live = row && row.cards.find((c) => c.format === frame.closest(".card").dataset.format);
      if (live && live.src) frame.querySelector("img.shot").src = live.src;
      if (live) frame.querySelector(".overlay").replaceWith(overlay(live.overlay));
    }
    editor = null;
    const btn = document.querySelector(`.row[data-row="${CSS.escape(poster)}"] .wb-edit`);
    if (btn) btn.focus();
  }

  langSelect.addEventListener("change", () => { if (editor) loadFields(editor.poster); });

  function edits() {
    const out = {};
    for (const [name, f] of editor.fields) if (f.input.value !== f.original) out[name] = f.input.value;
    return out;
  }

  function schedule() {
    clearTimeout(editor.timer);
    editor.timer = setTimeout(draft, DEBOUNCE_MS);
  }

  async function draft() {
    if (!editor) return;
    const ed = editor, seq = ++ed.seq;
    say("rendering every format…");
    const r = await call("/api/draft", { poster: ed.poster, lang: ed.lang, edits: edits() });
    if (ed !== editor || seq !== ed.seq) return;  // a newer draft is on its way
    if (!r.ok) return say(r.data.error, "bad");
    showDraft(ed, r.data);
  }

  function showDraft(ed, d) {
    for (const [name, f] of ed.fields) {
      const errs = (d.errors || []).filter((e) => e.field === name);
      const fits = (d.fits || {})[name] || [];
      f.fit.classList.toggle("bad", errs.length > 0);
      f.input.setAttribute("aria-invalid", errs.length ? "true" : "false");
      f.fit.textContent = errs.length
        ? errs.map((e) => (e.remove ? `${e.format}: does not fit — remove about ${e.remove} characters. ` : "") + e.error).join("\n")
        : fits.map((x) => `${x.format}: ${x.size} · ${x.lines} line(s)${x.at_min ? " (minimum size)" : ""}`).join(" · ");
    }
    const loose = (d.errors || []).filter((e) => !e.field || !ed.fields.has(e.field));
    for (const fmt of d.formats || []) {
      const frame = document.querySelector(`.row[data-row="${CSS.escape(ed.poster)}"] .card[data-format="${fmt.format}"] .frame`);
      if (!frame) continue;
      frame.classList.add("draft");
      if (fmt.src) frame.querySelector("img.shot").src = fmt.src;
      if (fmt.overlay) frame.querySelector(".overlay").replaceWith(overlay(fmt.overlay));  // page.html's
    }
    if (loose.length) say(loose.map((e) => e.error).join("\n"), "bad");
    else if (d.valid === false) say("Not saved: fix the text marked in red.", "bad");
    else say(Object.keys(edits()).length ? "Draft: every format redrawn. Save with Ctrl+Enter." : "");
  }

  async function save() {
    if (!editor) return;
    const ed = editor, changed = edits();
    if (!Object.keys(changed).length) return say("Nothing changed.");
    clearTimeout(ed.timer);
    say("saving…");
    const r = await call("/api/save", { poster: ed.poster, lang: ed.lang, edits: changed, base: ed.base });
    if (!r.ok) {
      if (r.data.errors) showDraft(ed, { errors: r.data.errors, valid: false });
      return say(r.data.error, "bad");
    }
    ed.base = r.data.base;
    for (const [name, f] of ed.fields) if (name in changed) f.original = f.input.value;
    showHistory(r.data);
    say(`Saved to ${r.data.saved}.`, "good");
  }

  // -- check ------------------------------------------------------------------------------------------
  async function runCheck(poster) {
    const section = document.querySelector(`.row[data-row="${CSS.escape(poster)}"]`);
    say(`checking ${poster}…`);
    const r = await call("/api/check", { poster });
    if (!r.ok) return say(r.data.error, "bad");
    const list = el("ul", { class: "wb-findings", "aria-label": `findings of ${poster}` });
    for (const f of r.data.findings) {
      const said = f.text.includes(`${f.severity}:`) ? f.text : `${f.severity}: ${f.text}`;
      const item = el("li", { class: f.severity }, `${said} `);
      if (f.field) item.append(el("button", { type: "button", text: "edit this text", onclick: () => openEditor(poster, [fieldShows(f.field)]) }));
      list.append(item);
    }
    if (!r.data.findings.length) list.append(el("li", { text: "No findings: ready to print." }));
    const old = section.querySelector(".wb-findings");
    old ? old.replaceWith(list) : section.querySelector(".cards").before(list);
    say(`${poster}: ${r.data.findings.length} finding(s).`);
  }
  const fieldShows = (name) => ({ "message.text": "message" }[name] || name);

  // -- build --------------------------------------------------------------------------------------------
  async function startBuild() {
    if (!picked.size) return say("Tick “build” on the posters to build first.", "bad");
    const r = await call("/api/build", { posters: [...picked] });
    if (!r.ok) return say(r.data.error, "bad");
    pollBuild();
  }
  async function pollBuild() {
    const r = await get("/api/build");
    const b = r.data;
    buildPanel.hidden = false;
    const bar = el("progress", { max: Math.max(1, b.total), value: b.done, "aria-label": "build progress" });
    const list = el("ul", { class: "wb-downloads" });
    for (const o of b.outputs) {
      const item = el("li", {}, el("a", { href: o.url, download: "", text: o.file }));
      if (o.alt_url) item.append(" · ", el("a", { href: o.alt_url, download: "", text: "alt text" }));
      if (o.alt) item.append(el("span", { class: "alt", text: o.alt }));
      list.append(item);
    }
    const errors = b.errors.map((e) => el("pre", { class: "error", text: e }));
    buildPanel.replaceChildren(
      el("h2", { text: b.running ? `Building ${b.posters.join(", ")}…` : `Built ${b.posters.join(", ")}` }),
      bar, el("span", { text: ` ${b.done}/${b.total}` }), ...errors, list,
    );
    buildPanel.dataset.done = b.running ? "" : "1";
    if (b.running) setTimeout(pollBuild, 400);
    else say(`Build finished: ${b.outputs.length} file(s)${b.errors.length ? `, ${b.errors.length} error(s)` : ""}.`, b.errors.length ? "bad" : "good");
  }

  // -- new poster from a template -------------------------------------------------------------------
  let dialog = null;
  async function openNew() {
    const r = await get("/api/templates");
    if (!r.ok) return say(r.data.error, "bad");
    const t = r.data;
    if (dialog) dialog.remove();
    const formError = el("p", { class: "error", role: "alert", hidden: true });
    const template = el("select", { id: "wb-new-layout", name: "layout" },
      ...t.templates.filter((x) => !x.error).map((x) => el("option", { value: x.name, text: x.name })));
    const needsBox = el("div", { id: "wb-new-needs" });
    const formats = el("fieldset", {}, el("legend", { text: "Formats" }),
      ...t.formats.map((f) => el("label", {}, el("input", { type: "checkbox", name: "formats", value: f, checked: f === "a3" || f === "instagram" }), ` ${f}`)));
    const colors = el("fieldset", {}, el("legend", { text: "Colours" }));
    const form = el("form", { method: "dialog", onsubmit: (e) => { e.preventDefault(); createPoster(form, formError, t); } },
      el("h2", { text: "New poster from a template" }),
      el("label", { for: "wb-new-layout", text: "Template" }), template,
      el("label", { for: "wb-new-id", text: "Poster id (file name: posters/<id>.yaml)" }),
      el("input", { id: "wb-new-id", name: "id", type: "text", required: true, pattern: "[a-z0-9][a-z0-9-]*", autocomplete: "off" }),
      el("label", { for: "wb-new-title", text: "Title (the PDF's title)" }),
      el("input", { id: "wb-new-title", name: "title", type: "text", required: true, lang: t.lang }),
      needsBox, colors, formats, formError,
      el("div", { class: "wb-actions" },
        el("button", { type: "submit", id: "wb-new-create", text: "Create" }),
        el("button", { type: "button", text: "Cancel", onclick: () => dialog.close() })),
    );
    const showNeeds = () => {
      const chosen = t.templates.find((x) => x.name === template.value);
      needsBox.replaceChildren();
      for (const key of [...chosen.needs, ...chosen.optional]) {
        const optional = !chosen.needs.includes(key);
        if (key === "visual") { needsBox.append(visualPicker(t)); continue; }
        if (key === "quote") {
          needsBox.append(el("label", { for: "wb-new-quote", text: "Press quote (number in the film's list, from 0)" }),
            el("input", { id: "wb-new-quote", name: "quote", type: "text", value: "0", inputmode: "numeric" }));
          continue;
        }
        const options = t.choices[key] || [];
        needsBox.append(el("label", { for: `wb-new-${key}`, text: optional ? `${key} (optional: the template can leave it out)` : key }),
          el("select", { id: `wb-new-${key}`, name: key, lang: t.lang, required: !optional },
            ...(optional ? [el("option", { value: "", text: "(none)" })] : []),
            ...options.map((o) => typeof o === "string" ? el("option", { value: o, text: o }) : el("option", { value: o.id, text: `${o.id} — ${o.text}`.slice(0, 110) }))));
      }
      colors.replaceChildren(el("legend", { text: "Colours" }),
        ...Object.entries(chosen.colors).map(([k, v]) => el("label", {}, `${k} `, el("input", { type: "color", name: `color-${k}`, value: v.toLowerCase() }))));
    };
    template.addEventListener("change", showNeeds);
    showNeeds();
    dialog = el("dialog", { class: "wb-dialog", "aria-label": "new poster" }, form);
    document.body.append(dialog);
    dialog.showModal();
    template.focus();
  }

  function visualPicker(t) {
    const select = el("select", { id: "wb-new-visual", name: "visual" }, ...t.choices.visual.map((v) => el("option", { value: v, text: v })));
    const upload = el("input", { id: "wb-upload", type: "file", accept: "image/png,image/jpeg,image/webp,image/tiff,.tif,.tiff" });
    const note = el("output", { id: "wb-upload-status", class: "wb-fit", for: "wb-upload" });
    upload.addEventListener("change", async () => {
      const file = upload.files[0];
      if (!file) return;
      note.textContent = "uploading…";
      const r = await call(`/api/upload?name=${encodeURIComponent(file.name)}`, file, true);
      note.classList.toggle("bad", !r.ok);
      if (!r.ok) { note.textContent = r.data.error; return; }
      select.append(el("option", { value: r.data.visual, text: r.data.visual }));
      select.value = r.data.visual;
      note.textContent = `uploaded as ${r.data.visual}`;
    });
    return el("div", {}, el("label", { for: "wb-new-visual", text: "Visual (from visuals/)" }), select,
      el("label", { for: "wb-upload", text: "…or upload a picture (JPEG, PNG, WebP, TIFF)" }), upload, note);
  }

  async function createPoster(form, formError, t) {
    const data = new FormData(form);
    const body = { colors: {}, formats: data.getAll("formats") };
    for (const [k, v] of data) {
      if (k.startsWith("color-")) body.colors[k.slice(6)] = v.toUpperCase();
      else if (k === "quote") body.quote = v === "" ? null : Number(v);
      else if (k !== "formats") body[k] = v;
    }
    const r = await call("/api/new", body);
    formError.hidden = r.ok;
    if (!r.ok) { formError.textContent = r.data.error; return; }
    dialog.close();
    showHistory(r.data);
    say(`Created ${r.data.created}; it appears below once rendered.`, "good");
  }
})();
