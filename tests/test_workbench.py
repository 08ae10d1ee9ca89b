"""`poster workbench` in a real browser (Playwright driving Debian's Chromium, as test_preview.py):
editing a text redraws every format and saves only that text; a text that does not fit says so and
is not saved; a file changed on disk is not overwritten; undo/redo; a new poster from a template
builds; check and build from the page. And its refusals, read with http.client: another origin, no
token, a body too large, an upload that is not an image, a path outside the project."""

from __future__ import annotations

import base64
import difflib
import http.client
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from test_preview import LOADED, card

from poster_engine.preview.guard import MAX_JSON_BYTES, inside, safe_file_name
from poster_engine.preview.server import start_preview
from poster_engine.preview.workbench import Workbench

POSTER = "stat-cobalt"  # a3 + instagram; its message is also choc-cobalt's
OLD = "passe par des *mains d'enfants*."
NEW = "se paie en *vies d'enfants*."
WAIT_MS = 90_000  # a loaded CI machine: the save renders every poster showing the text


def open_bench(page, server, images: int = 2):
    page.goto(server.url)
    page.wait_for_function(
        f"n => {LOADED} === n && document.getElementById('status').className === 'live'", arg=images, timeout=WAIT_MS
    )


def srcs(page, row: str = POSTER) -> dict[str, str]:
    return {
        c.get_attribute("data-format"): c.locator("img.shot").get_attribute("src")
        for c in page.locator(f'.row[data-row="{row}"] .card').all()
    }


def open_editor(page, row: str = POSTER):
    page.locator(f'.row[data-row="{row}"] .wb-edit').click()
    page.locator(".wb-editor").wait_for(timeout=WAIT_MS)
    # The first draft (every field's fit) is in when the fits are written.
    page.wait_for_function("document.querySelector('.wb-fit').textContent !== ''", timeout=WAIT_MS)


def message_box(page):
    return page.locator('.wb-editor textarea[name="message.text"]')


def status(page) -> str:
    return page.locator("#wb-status").inner_text()


def wait_status(page, pattern: str):
    page.wait_for_function(
        "re => new RegExp(re).test(document.getElementById('wb-status').textContent)", arg=pattern, timeout=WAIT_MS
    )


def token_of(server) -> str:
    html = urllib.request.urlopen(server.url, timeout=10).read().decode()
    return re.search(r'name="workbench-token" content="([^"]+)"', html).group(1)


def post(server, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if resp.getheader("Content-Type", "").startswith("application/json") else {}


def own(server, token: str, **extra) -> dict[str, str]:
    port = server.url.rsplit(":", 1)[1].strip("/")
    return {
        "Origin": f"http://127.0.0.1:{port}",
        "X-Workbench-Token": token,
        "Content-Type": "application/json",
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Editing in the page


def test_editing_a_message_redraws_every_format_and_saves_only_that_text(page, project):
    messages = project / "messages.yaml"
    before = messages.read_text(encoding="utf-8")
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        open_bench(page, server)
        shown = srcs(page)
        assert set(shown) == {"a3", "instagram"}
        first_png = {f: urllib.request.urlopen(server.url.rstrip("/") + s).read() for f, s in shown.items()}
        # Clicking the message on the poster opens the editor on that text.
        state = json.loads(urllib.request.urlopen(server.url + "api/state").read())
        overlay = next(c for r in state["rows"] for c in r["cards"] if c["format"] == "instagram")["overlay"]
        x, y, w, h = next(s for s in overlay["slots"] if s["name"] == "message")["box"]
        frame = card(page, POSTER, "instagram").locator(".frame").bounding_box()
        k = frame["width"] / overlay["page"][0]
        page.mouse.click(frame["x"] + (x + w / 2) * k, frame["y"] + (y + h / 2) * k)
        page.locator(".wb-editor").wait_for(timeout=WAIT_MS)
        page.wait_for_function("document.activeElement.name === 'message.text'", timeout=WAIT_MS)

        text = message_box(page).input_value()
        assert text.endswith(OLD)
        message_box(page).fill(text.replace(OLD, NEW))
        # The draft: every format drawn again with the new text (images as data: URLs), fit shown.
        page.wait_for_function(
            "() => [...document.querySelectorAll('.row .frame')].every(f => f.classList.contains('draft')"
            " && f.querySelector('img.shot').src.startsWith('data:'))",
            timeout=WAIT_MS,
        )
        fit = page.locator('.wb-fit[data-field="message.text"]').inner_text()
        assert re.fullmatch(r"a3: [\d.]+ pt · \d/3 line\(s\) · instagram: [\d.]+ px · \d/3 line\(s\)", fit), fit
        # The same size sits on the text in the draft image.
        size = re.match(r"a3: ([\d.]+ pt)", fit).group(1)
        labels = card(page, POSTER, "a3").locator(".ov-size .ov-label")
        assert any(t.startswith(f"{size} · ") for t in labels.all_inner_texts())
        assert labels.first.is_visible()
        assert messages.read_text(encoding="utf-8") == before  # nothing saved while typing

        message_box(page).press("Control+Enter")
        wait_status(page, "^Saved to messages.yaml")
        after = messages.read_text(encoding="utf-8")
        changed = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:2] in ("- ", "+ ")]
        assert changed == [f"- {line}" for line in before.splitlines() if OLD in line] + [
            f"+ {line.replace(OLD, NEW)}" for line in before.splitlines() if OLD in line
        ]
        assert len(changed) == 2
        assert after == before.replace(OLD, NEW)

        # The saved file is what the live preview draws next: every format, new pixels.
        for fmt, old_src in shown.items():
            img = f'.row[data-row="{POSTER}"] .card[data-format="{fmt}"] img.shot'
            page.wait_for_function(
                "([sel, old]) => { const i = document.querySelector(sel); const s = i.getAttribute('src');"
                " return s.startsWith('/img/') && s !== old && i.complete && i.naturalWidth > 0; }",
                arg=[img, old_src],
                timeout=WAIT_MS,
            )
            new_png = urllib.request.urlopen(server.url.rstrip("/") + page.locator(img).get_attribute("src")).read()
            assert new_png != first_png[fmt]

        # Undo puts the file back byte for byte; redo brings the edit back.
        page.locator("#wb-undo").click()
        wait_status(page, "^Undone")
        assert messages.read_text(encoding="utf-8") == before
        assert message_box(page).input_value() == text  # the editor shows the file's text again
        page.locator("#wb-redo").click()
        wait_status(page, "^Redone")
        assert messages.read_text(encoding="utf-8") == after


def test_a_text_that_does_not_fit_shows_its_error_and_is_not_saved(page, project):
    messages = project / "messages.yaml"
    before = messages.read_bytes()
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        open_bench(page, server)
        open_editor(page)
        long = "Le cobalt de nos batteries passe par des mains d'enfants, chaque jour, au Congo. " * 4
        message_box(page).fill(long)
        fit = page.locator('.wb-fit.bad[data-field="message.text"]')
        fit.wait_for(timeout=WAIT_MS)
        shown = fit.inner_text()
        assert re.search(r"^a3: does not fit — remove about \d+ characters\. ", shown, re.M), shown
        assert "does not fit slot 'message' of layouts/stat.svg at format a3" in shown
        assert message_box(page).get_attribute("aria-invalid") == "true"
        # The count is right: that many characters fewer fit, one fewer than that does not.
        remove = int(re.search(r"^a3: does not fit — remove about (\d+)", shown, re.M).group(1))
        bench = server.http.bench

        def fits(text: str) -> bool:
            return not [e for e in bench.draft(POSTER, {"message.text": text}, "fr")["errors"] if e["format"] == "a3"]

        assert fits(long[: len(long) - remove].rstrip())
        assert not fits(long[: len(long) - remove + 1].rstrip())

        message_box(page).press("Control+Enter")
        wait_status(page, "^not saved: ")
        assert "does not fit slot 'message'" in status(page)
        assert messages.read_bytes() == before

        # Escape closes the editor: the focus goes back to its button, the live images come back.
        message_box(page).press("Escape")
        assert page.locator(".wb-editor").count() == 0
        assert page.evaluate("document.activeElement.classList.contains('wb-edit')")
        assert all(src.startswith("/img/") for src in srcs(page).values())


def test_a_file_changed_on_disk_meanwhile_is_not_overwritten(page, project):
    messages = project / "messages.yaml"
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        open_bench(page, server)
        open_editor(page)
        # Someone else saves messages.yaml (another text) while the page is open.
        elsewhere = messages.read_text(encoding="utf-8").replace("Numbi, bourgade", "Numbi, ville")
        messages.write_text(elsewhere, encoding="utf-8")
        message_box(page).fill(message_box(page).input_value().replace(OLD, NEW))
        message_box(page).press("Control+Enter")
        wait_status(page, "changed on disk")
        assert status(page).startswith("messages.yaml was changed on disk since this page read it")
        assert messages.read_text(encoding="utf-8") == elsewhere


# ---------------------------------------------------------------------------------------------
# New posters, uploads, check and build


def test_a_new_poster_from_a_template_builds(page, project, tmp_path):
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        open_bench(page, server)
        page.locator("#wb-new").click()
        page.locator("#wb-new-layout").select_option("stat")
        # The form asks for what the stat template shows (derived from the template), nothing else.
        assert page.locator("#wb-new-needs select").evaluate_all("els => els.map(e => [e.name, e.required])") == [
            ["stat", True],
            ["message", False],  # an optional slot: the form offers it, "(none)" allowed
        ]
        page.fill("#wb-new-id", "stat-lithium")
        page.fill("#wb-new-title", "Le lithium – Numérique en lumière")
        page.locator("#wb-new-message").select_option("lithium")
        page.locator("#wb-new-stat").select_option(index=1)
        page.locator('input[name="formats"][value="instagram"]').uncheck()
        page.locator("#wb-new-create").click()
        wait_status(page, "^Created posters/stat-lithium.yaml")
    written = (project / "posters" / "stat-lithium.yaml").read_text(encoding="utf-8")
    assert "layout: stat" in written and "message: lithium" in written and "formats: [a3]" in written
    result = subprocess.run(
        [sys.executable, "-m", "poster_engine", "build", "-p", "stat-lithium", "-j", "1", "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    pdf = project / "build" / "stat-lithium" / "a3.pdf"
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 1
        assert "/OutputIntents" in doc.Root  # the print file, as any poster's
        x0, y0, x1, y1 = (float(v) for v in doc.pages[0].TrimBox)
        assert (round((x1 - x0) / 72 * 25.4), round((y1 - y0) / 72 * 25.4)) == (297, 420)
    manifest = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert [e["file"] for e in manifest["outputs"] if e["poster"] == "stat-lithium"] == ["stat-lithium/a3.pdf"]


def test_the_form_refuses_a_poster_id_in_use_and_a_visual_outside_visuals(project):
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        token = token_of(server)
        form = {"id": POSTER, "title": "x", "layout": "stat", "message": "lithium", "stat": "enfants-cobalt"}
        status, body = post(server, "/api/new", json.dumps(form).encode(), own(server, token))
        assert status == 409 and body["error"] == f"posters/{POSTER}.yaml exists already; choose another id"
        form = {**form, "id": "choc-new", "layout": "choc", "visual": "../../etc/passwd"}
        status, body = post(server, "/api/new", json.dumps(form).encode(), own(server, token))
        assert status == 422 and "is not a file of visuals/" in body["error"]
        assert not (project / "posters" / "choc-new.yaml").exists()


def test_an_upload_that_is_not_an_image_is_refused_with_its_message(page, project, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("these are meeting notes, not a picture\n", encoding="utf-8")
    text = tmp_path / "notes.txt"
    text.write_text("notes\n", encoding="utf-8")
    real = project / "visuals" / "minerai.jpg"
    listing = sorted(p.name for p in (project / "visuals").iterdir())
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        open_bench(page, server)
        page.locator("#wb-new").click()
        page.locator("#wb-new-layout").select_option("choc")
        note = page.locator("#wb-upload-status")
        page.locator("#wb-upload").set_input_files(str(fake))
        page.wait_for_function("document.getElementById('wb-upload-status').textContent.startsWith('upload refused')")
        assert note.inner_text() == (
            "upload refused: 'notes.png' is not an image Pillow can read; upload a JPEG, PNG or WebP"
        )
        page.locator("#wb-upload").set_input_files(str(text))
        page.wait_for_function("document.getElementById('wb-upload-status').textContent.includes('notes.txt')")
        assert note.inner_text() == (
            "upload refused: 'notes.txt' is not a .png, .jpg or .webp picture; upload a JPEG, PNG or WebP"
        )
        assert sorted(p.name for p in (project / "visuals").iterdir()) == listing
        # A real photo is taken, under a clean name inside visuals/, and offered in the form.
        if True:
            renamed = tmp_path / "Ma Photo (1).JPG"
            renamed.write_bytes(real.read_bytes())
            page.locator("#wb-upload").set_input_files(str(renamed))
            page.wait_for_function("document.getElementById('wb-upload-status').textContent.startsWith('uploaded')")
            assert note.inner_text() == "uploaded as visuals/ma-photo-1.jpg"
            assert (project / "visuals" / "ma-photo-1.jpg").read_bytes() == real.read_bytes()
            assert page.locator("#wb-new-visual").input_value() == "visuals/ma-photo-1.jpg"


def test_check_and_build_from_the_page(page, project):
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        open_bench(page, server)
        page.locator(f'.row[data-row="{POSTER}"] .wb-check').click()
        findings = page.locator(f'.row[data-row="{POSTER}"] .wb-findings')
        findings.wait_for(timeout=WAIT_MS)
        assert findings.locator("li").count() >= 1
        page.locator(f'.row[data-row="{POSTER}"] .wb-pick').check()
        page.locator("#wb-build").click()
        page.wait_for_function("document.getElementById('wb-build-panel').dataset.done === '1'", timeout=180_000)
        links = page.locator("#wb-build-panel a[download]")
        hrefs = links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert hrefs == [
            f"/dl/{POSTER}/a3.pdf",
            f"/dl/{POSTER}/a3.pdf.alt.txt",
            f"/dl/{POSTER}/instagram.png",
            f"/dl/{POSTER}/instagram.png.alt.txt",
        ]
        assert page.locator("#wb-build-panel progress").evaluate("p => p.value === p.max")
        base = server.url.rstrip("/")
        assert urllib.request.urlopen(base + hrefs[0]).read().startswith(b"%PDF-")
        assert urllib.request.urlopen(base + hrefs[2]).read().startswith(b"\x89PNG")
        alt = urllib.request.urlopen(base + hrefs[3]).read().decode()
        assert alt == (project / "build" / POSTER / "instagram.png.alt.txt").read_text(encoding="utf-8")
        assert page.locator("#wb-build-panel .alt").last.inner_text() == alt.strip()
        # Only files the build offered are served, each from inside build/.
        for path in ("/dl/../messages.yaml", "/dl/%2e%2e/messages.yaml", "/dl/manifest.json", "/dl//etc/passwd"):
            port = int(server.url.rsplit(":", 1)[1].strip("/"))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            assert conn.getresponse().status == 404, path
            conn.close()


# ---------------------------------------------------------------------------------------------
# Safety


class _Attacker(BaseHTTPRequestHandler):
    """Another site: its page posts a form to the workbench (no token: it cannot read the page's)."""

    target = ""

    def do_GET(self):  # noqa: N802
        body = (
            f'<form id="f" method="POST" action="{self.target}api/save" enctype="text/plain">'
            '<input name=\'{"poster":"stat-cobalt","lang":"fr","edits":{"message.text":"pwned"},"x":"\' value=\'"}\'>'
            "</form><script>document.getElementById('f').submit()</script>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_page_of_another_site_cannot_make_the_browser_edit_the_campaign(page, project):
    before = (project / "messages.yaml").read_bytes()
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        _Attacker.target = server.url
        evil = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        try:
            page.goto(f"http://localhost:{evil.server_address[1]}/")
            page.wait_for_url(f"{server.url}api/save", timeout=WAIT_MS)
            assert "cross-origin request refused" in page.content()
        finally:
            evil.shutdown()
            evil.server_close()
    assert (project / "messages.yaml").read_bytes() == before


def test_every_writing_request_needs_the_token_and_the_origin(project):
    messages = project / "messages.yaml"
    before = messages.read_bytes()
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        token = token_of(server)
        assert server.url.startswith("http://127.0.0.1:")
        assert server.http.server_address[0] == "127.0.0.1"
        body = json.dumps({"poster": POSTER, "lang": "fr", "edits": {"message.text": "pwned"}, "base": "x"}).encode()
        good = own(server, token)
        cases = {
            "no token": {k: v for k, v in good.items() if k != "X-Workbench-Token"},
            "wrong token": {**good, "X-Workbench-Token": token[:-1] + ("A" if token[-1] != "A" else "B")},
            "another origin": {**good, "Origin": "http://evil.example"},
            "no origin": {k: v for k, v in good.items() if k != "Origin"},
            "another port": {**good, "Origin": "http://127.0.0.1:1"},
            "a rebound host": {**good, "Host": "evil.example"},
        }
        for path in ("/api/save", "/api/undo", "/api/new", "/api/upload?name=x.png", "/api/build", "/api/draft"):
            for case, headers in cases.items():
                status, answer = post(server, path, body, headers)
                assert status == 403, (path, case)
                assert answer["error"], (path, case)
        status, answer = post(server, "/api/save", b"x" * (MAX_JSON_BYTES + 1), good)
        assert status == 413 and answer["error"].startswith("request too large")
        status, answer = post(server, "/api/save", body, {**good, "Content-Type": "text/plain"})
        assert status == 415
        # The same request with the token from the page and its own origin reaches the workbench
        # (and is refused for the stale `base`, nothing written).
        status, answer = post(server, "/api/save", body, good)
        assert status == 409 and "changed on disk" in answer["error"]
        # The read-only preview has no writing route at all.
    with start_preview(project, posters=[POSTER], port=0) as server:
        html = urllib.request.urlopen(server.url, timeout=10).read().decode()
        assert "workbench-token" not in html
        status, _ = post(server, "/api/save", body, {"Origin": server.url.rstrip("/")})
        assert status == 404
    assert messages.read_bytes() == before


def test_paths_from_the_browser_stay_inside_the_project(tmp_path):
    root = tmp_path / "p"
    (root / "visuals").mkdir(parents=True)
    (tmp_path / "outside.png").write_bytes(b"x")
    (root / "visuals" / "link.png").symlink_to(tmp_path / "outside.png")
    assert inside(root, "visuals/a.png") == (root / "visuals" / "a.png").resolve()
    for bad in ("../outside.png", "/etc/passwd", "visuals/../../outside.png", "visuals/link.png", "", "a\x00b", "."):
        assert inside(root, bad) is None, bad
    assert safe_file_name("C:\\Users\\me\\Ma Photo (1).JPG", (".jpg",)) == "ma-photo-1.jpg"
    assert safe_file_name("../../../etc/passwd.png", (".png",)) == "passwd.png"
    assert safe_file_name("evil.svg", (".png",)) is None
    assert safe_file_name(".png", (".png",)) is None


def test_an_upload_with_more_pixels_than_memory_should_hold_is_refused(project):
    name = "bomb.png"
    # A PNG of 40 000 × 40 000 pixels (1.6 gigapixels, beyond Pillow's guard) in a few hundred kilobytes.
    buf = io.BytesIO()
    Image.new("1", (40_000, 40_000)).save(buf, "PNG")
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        token = token_of(server)
        headers = own(server, token, **{"Content-Type": "application/octet-stream"})
        status, answer = post(server, f"/api/upload?name={name}", buf.getvalue(), headers)
    assert status == 413
    assert (
        answer["error"] == f"upload refused: '{name}' has more pixels than memory should hold (a decompression bomb?)"
    )
    assert not (project / "visuals" / name).exists()


def test_the_script_is_the_packaged_file_and_only_the_workbench_serves_it(project):
    # No front-end build step: the page's script is the file in the package, served as is.
    script = (Path(__file__).parent.parent / "poster_engine" / "preview" / "workbench.js").read_bytes()
    with start_preview(project, posters=[POSTER], port=0, edit=True) as server:
        resp = urllib.request.urlopen(server.url + "workbench.js", timeout=10)
        assert resp.read() == script and resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    with start_preview(project, posters=[POSTER], port=0) as server:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url + "workbench.js", timeout=10)
        assert err.value.code == 404


# ---------------------------------------------------------------------------------------------
# Fields and their validation (the workbench's model, without the browser)


def _png(data_url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


def test_a_film_link_is_checked_and_its_qr_code_follows_it(project):
    import zxingcpp

    bench = Workbench(project)
    bad = bench.draft("film-sang-et-boue", {"film.link.url": "ftp://example.org/film"}, "fr")
    assert not bad["valid"] and not bad["formats"]
    assert [(e["field"], e["error"]) for e in bad["errors"]] == [
        (
            "film.link.url",
            f"messages.yaml:{_line(project, 'url: https://example.org/films/sang-et-boue')}: "
            "'films.sang-et-boue.link.url': must be an http:// or https:// address",
        )
    ]
    good = bench.draft("film-sang-et-boue", {"film.link.url": "https://example.org/films/le-sang"}, "fr")
    assert good["valid"], good["errors"]
    a3 = next(f for f in good["formats"] if f["format"] == "a3")
    assert [r.text for r in zxingcpp.read_barcodes(_png(a3["src"]).convert("L"))] == [
        "https://example.org/films/le-sang"
    ]
    # Every format shows the new link (the QR code, or the link written out): other pixels.
    same = bench.draft("film-sang-et-boue", {}, "fr")
    assert [f["src"] for f in same["formats"]] != [f["src"] for f in good["formats"]]
    assert all(a["src"] != b["src"] for a, b in zip(same["formats"], good["formats"], strict=True))
    empty = bench.draft("stat-cobalt", {"stat.source": "", "stat.year": "l'an dernier"}, "fr")
    found = {(e["field"], e["error"].rsplit(": ", 1)[1]) for e in empty["errors"]}
    assert found == {("stat.source", "must not be empty"), ("stat.year", "must be a whole number")}


def _line(project: Path, text: str) -> int:
    lines = (project / "messages.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_saving_in_another_language_splits_a_text_and_numbers_stay_numbers(project):
    messages = project / "messages.yaml"
    before = messages.read_text(encoding="utf-8")
    bench = Workbench(project)
    base = bench.fields("film-sang-et-boue", "en")["base"]
    saved = bench.save("film-sang-et-boue", {"film.link.label": "The film's page"}, "en", base)
    base = bench.fields("stat-cobalt", "fr")["base"]
    assert saved["base"] == base
    bench.save("stat-cobalt", {"stat.value": "35 000"}, "fr", base)
    after = messages.read_text(encoding="utf-8")
    changed = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:2] in ("- ", "+ ")]
    assert changed == [
        "-       label: Page du film",
        "+       label: {fr: Page du film, en: The film's page}",  # plain, as the French was
        "-     value: 40000",
        "+     value: 35000",  # a number still
    ]
    assert bench.undo()["undo"] == 1 and bench.undo()["undo"] == 0
    assert messages.read_text(encoding="utf-8") == before


def test_the_editor_opens_in_the_campaigns_own_language(tmp_path):
    repair = tmp_path / "repair-cafe"
    shutil.copytree(Path(__file__).parent.parent / "examples" / "repair-cafe", repair)
    bench = Workbench(repair)
    fields = bench.fields("tally-kettle", "")
    assert fields["lang"] == "en" and fields["campaign_lang"] == "en"
    assert fields["languages"] == ["fr", "en", "de", "es", "it", "nl", "pt"]  # every language the engine sets
    assert bench.fields("tally-kettle", "fr")["lang"] == "fr"
