"""build/index.html: every output of the manifest as a static gallery a person can open from disk."""

from __future__ import annotations

from html import escape

from poster_engine.project.content import Campaign

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;background:#f4f4f2;color:#111418}"
    "h2{margin:2rem 0 .5rem;font-size:1.1rem}"
    ".grid{display:flex;flex-wrap:wrap;gap:1rem}"
    "figure{margin:0;background:#fff;padding:.5rem;box-shadow:0 1px 3px #0002;width:220px}"
    "figure img{width:100%;height:260px;object-fit:contain;background:#ddd;display:block}"
    "figcaption{font-size:.8rem;margin-top:.4rem;word-break:break-all}"
)


def gallery_html(outputs: list[dict], campaign: Campaign) -> bytes:
    """Outputs grouped by poster (and data row), in manifest order; no timestamps, so it is as
    deterministic as the manifest."""
    name = campaign.messages.campaign.name.shown(campaign.lang)
    groups: dict[str, list[dict]] = {}
    for entry in outputs:
        groups.setdefault(entry["file"].rsplit("/", 1)[0], []).append(entry)
    parts = [
        f'<!doctype html><html lang="{campaign.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(name)} — build</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(name)}</h1><p>{len(outputs)} outputs · <a href="manifest.json">manifest.json</a></p>'
    ]
    for folder, entries in groups.items():
        parts.append(f'<h2>{escape(folder)}</h2><div class="grid">')
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
    parts.append("</body></html>\n")
    return "".join(parts).encode("utf-8")
