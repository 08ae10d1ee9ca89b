"""build/index.html: every output of the manifest as a static gallery a person can open from disk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape

from poster_engine.project.content import Campaign

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;background:#f4f4f2;color:#111418}"
    "h2{margin:2rem 0 .5rem;font-size:1.1rem}"
    ".grid{display:flex;flex-wrap:wrap;gap:1rem}"
    "figure{margin:0;background:#fff;padding:.5rem;box-shadow:0 1px 3px #0002;width:220px}"
    "figure img{width:100%;height:260px;object-fit:contain;background:#ddd;display:block}"
    "figcaption{font-size:.8rem;margin-top:.4rem;word-break:break-all}"
    ".credits{font-size:.8rem;color:#444;margin:.2rem 0 .6rem;max-width:60rem}"
)


def _credits_html(entries: list[dict]) -> str:
    """What a poster's outputs show and use, from their manifest `provenance`: sources, visual credit, fonts."""
    sources: list[str] = []
    visuals: list[str] = []
    fonts: list[str] = []
    for e in entries:
        prov = e.get("provenance") or {}
        sources += [s for s in prov.get("sources", []) if s not in sources]
        v = prov.get("visual")
        if v:
            extra = ", ".join(str(v[k]) for k in ("source", "year") if v.get(k))
            line = f"{v['file']}: {v.get('author') or 'author unknown'} · {v.get('licence') or 'NO LICENCE'}"
            line += f" ({extra})" if extra else ""
            if line not in visuals:
                visuals.append(line)
        for f in prov.get("fonts", []):
            line = f"{f['family']} ({f.get('licence') or 'licence unknown'})"
            if line not in fonts:
                fonts.append(line)
    rows = [(label, items) for label, items in (("Sources", sources), ("Visual", visuals), ("Fonts", fonts)) if items]
    if not rows:
        return ""
    return (
        '<p class="credits">'
        + "<br>".join(f"<b>{label}:</b> {escape('; '.join(items))}" for label, items in rows)
        + "</p>"
    )


def gallery_folder(file: str) -> str:
    """The heading an output is shown under: its folder (a poster, or a data row of one)."""
    return file.rsplit("/", 1)[0]


def gallery_html(outputs: list[dict], campaign: Campaign) -> bytes:
    """Outputs grouped by folder, in manifest order; no timestamps, so it is as deterministic as
    the manifest."""
    groups: dict[str, list[dict]] = {}
    for entry in outputs:
        groups.setdefault(gallery_folder(entry["file"]), []).append(entry)
    return b"".join(gallery_chunks(len(outputs), groups.items(), campaign))


def gallery_chunks(count: int, groups: Iterable[tuple[str, list[dict]]], campaign: Campaign) -> Iterator[bytes]:
    """index.html a folder at a time, for `count` outputs in `groups` (folder, its entries), which
    may be read one after another (a 10 000-row merge: never all in memory)."""
    name = campaign.messages.campaign.name.shown(campaign.lang)
    yield (
        f'<!doctype html><html lang="{campaign.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(name)} — build</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(name)}</h1><p>{count} outputs · <a href="manifest.json">manifest.json</a></p>'
    ).encode()
    for folder, entries in groups:
        parts = [f'<h2>{escape(folder)}</h2>{_credits_html(entries)}<div class="grid">']
        for e in entries:
            file = escape(e["file"], quote=True)
            picture = escape(e.get("preview") or e["file"], quote=True)
            size = f"{e['bytes'] / 1e6:.2f} MB" if e["bytes"] >= 1e5 else f"{e['bytes'] / 1e3:.0f} KB"
            parts.append(
                f'<figure><a href="{file}"><img src="{picture}" alt="{escape(e.get("alt", ""), quote=True)}" '
                f'loading="lazy"></a><figcaption><a href="{file}">{escape(e["file"].rsplit("/", 1)[1])}</a> · '
                f"{escape(e['format'])} · {escape(e['lang'])} · {size}</figcaption></figure>"
            )
        parts.append("</div>")
        yield "".join(parts).encode("utf-8")
    yield b"</body></html>\n"
