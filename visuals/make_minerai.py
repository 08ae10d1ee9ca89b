#!/usr/bin/env python3
"""Generate visuals/minerai.jpg: a procedural, photo-like close-up of cobalt ore.

Everything is computed from scratch with numpy + Pillow (no external data),
from a fixed seed, so the output is deterministic and freely licensable (CC0).

What the image is:
  a heap of broken ore seen at a grazing angle (perspective ground plane).
  Chunks are domain-warped jittered-Voronoi cells, each raised by a random
  amount and cut by two random cleavage planes; some are crushed into finer
  gravel.  Value-noise octaves roughen the faces; ridged noise draws veins and
  fine noise scatters grains of blue-grey metal, whose micro-crystals (a tiny
  Voronoi with random normal tilts) sparkle under the light.  A low raking key
  light with height-field cast shadows, crevice occlusion, haze, a filmic tone
  curve, depth of field, vignette and film grain make it read like a photo.

Usage:  python3 visuals/make_minerai.py [output.jpg]
Output: 3600x2400, sRGB (ICC profile embedded when Pillow has LittleCMS),
        JPEG quality 88.
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SEED = 20240917
W, H = 3600, 2400  # >= 300 ppi across a full-width A3 slot (265 mm)
QUALITY = 88
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("minerai.jpg")

F = np.float32
rng = np.random.default_rng(SEED)


# --------------------------------------------------------------------------
# hashing / noise primitives (vectorised, deterministic)
# --------------------------------------------------------------------------
def hash01(ix, iz, salt):
    """Integer lattice coordinates -> uniform float in [0, 1)."""
    h = (ix.astype(np.int64) * 374761393 + iz.astype(np.int64) * 668265263
         + (SEED + salt * 1013) * 1442695041) & 0xFFFFFFFF
    h = h.astype(np.uint64)
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return (h.astype(np.float64) / 4294967296.0).astype(F)


def value_noise(x, z, salt):
    ix, iz = np.floor(x), np.floor(z)
    tx, tz = (x - ix).astype(F), (z - iz).astype(F)
    ix, iz = ix.astype(np.int64), iz.astype(np.int64)
    sx = tx * tx * (3 - 2 * tx)
    sz = tz * tz * (3 - 2 * tz)
    a = hash01(ix, iz, salt)
    b = hash01(ix + 1, iz, salt)
    c = hash01(ix, iz + 1, salt)
    d = hash01(ix + 1, iz + 1, salt)
    return (a + (b - a) * sx) + ((c + (d - c) * sx) - (a + (b - a) * sx)) * sz


def fbm(x, z, octaves, salt, lac=2.03, gain=0.5):
    out = np.zeros(x.shape, F)
    amp, norm, fx, fz = 1.0, 0.0, x, z
    for o in range(octaves):
        # rotate each octave a little to hide lattice alignment
        ang = 0.5 + 0.9 * o
        ca, sa = np.cos(ang), np.sin(ang)
        rx, rz = fx * ca - fz * sa, fx * sa + fz * ca
        out += F(amp) * value_noise(rx, rz, salt + o)
        norm += amp
        amp *= gain
        fx, fz = fx * lac, fz * lac
    return out / F(norm)


def voronoi(x, z, salt):
    """Jittered-grid cellular noise: F1, F2 distances and nearest-cell data."""
    cx, cz = np.floor(x).astype(np.int64), np.floor(z).astype(np.int64)
    f1 = np.full(x.shape, 9.0, F)
    f2 = np.full(x.shape, 9.0, F)
    idx = np.zeros(x.shape, np.int64)
    idz = np.zeros(x.shape, np.int64)
    nx_ = np.zeros(x.shape, F)
    nz_ = np.zeros(x.shape, F)
    for dz in (-1, 0, 1):
        for dx in (-1, 0, 1):
            gx, gz = cx + dx, cz + dz
            px = gx + 0.1 + 0.8 * hash01(gx, gz, salt)
            pz = gz + 0.1 + 0.8 * hash01(gx, gz, salt + 1)
            d = np.sqrt((x - px) ** 2 + (z - pz) ** 2).astype(F)
            closer = d < f1
            f2 = np.where(closer, f1, np.minimum(f2, d))
            f1 = np.where(closer, d, f1)
            idx = np.where(closer, gx, idx)
            idz = np.where(closer, gz, idz)
            nx_ = np.where(closer, px, nx_)
            nz_ = np.where(closer, pz, nz_)
    return f1, f2, idx, idz, nx_, nz_


def smoothstep(a, b, v):
    t = np.clip((v - a) / (b - a), 0, 1)
    return t * t * (3 - 2 * t)


def _box(a, r, axis):
    """Box filter of half-width r along axis (edge-padded), via cumulative sums."""
    if r < 1:
        return a
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float64)
    n = a.shape[axis]
    hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
    lo = np.take(c, np.arange(0, n), axis=axis)
    return ((hi - lo) / (2 * r + 1)).astype(F)


def blur(arr, sigma):
    """Approximate Gaussian blur (three box passes per axis), pure numpy."""
    if sigma <= 0:
        return arr
    r = max(1, int(round((np.sqrt(4 * sigma * sigma + 1) - 1) / 2)))
    out = arr.astype(F)
    for axis in (0, 1):
        for _ in range(3):
            out = _box(out, r, axis)
    return out


# --------------------------------------------------------------------------
# camera: the ore heap seen at a grazing angle
# --------------------------------------------------------------------------
sy, sx = np.mgrid[0:H, 0:W].astype(F)
u = (sx - W / 2) / H            # horizontal screen coordinate
v = sy / H                      # 0 = top (far) .. 1 = bottom (near)
HORIZON = -0.42                 # horizon above the frame: the ground fills it
depth = 1.0 / (v - HORIZON)     # relative distance along the ground
SCALE = 5.2                     # world units across the near edge
X = u * depth * SCALE + 3.7
Z = depth * SCALE * 1.35 - 1.1

# --------------------------------------------------------------------------
# height field: a heap of broken ore chunks
# --------------------------------------------------------------------------
CELL = 0.78
# domain warp so chunk outlines are irregular, not polygonal tiles
wx = fbm(X * 0.9 + 5.0, Z * 0.9, 4, 11) - 0.5
wz = fbm(X * 0.9, Z * 0.9 - 7.0, 4, 12) - 0.5
XW = X + wx * CELL * 0.9
ZW = Z + wz * CELL * 0.9
f1, f2, cix, ciz, cpx, cpz = voronoi(XW / CELL, ZW / CELL, 13)
edge = f2 - f1                                     # ~distance to the chunk border
lx, lz = XW - cpx * CELL, ZW - cpz * CELL          # coordinates local to the chunk
# some chunks are crushed into smaller gravel: a finer cell network inside them
FINE = CELL * 0.55
g1, g2, gix, giz, gpx, gpz = voronoi(XW / FINE + 40.0, ZW / FINE - 13.0, 17)
crushed = hash01(cix, ciz, 28) > 0.72
edge = np.where(crushed, np.minimum(edge, (g2 - g1) * 0.9), edge)
lx = np.where(crushed, XW - (gpx - 40.0) * FINE, lx)
lz = np.where(crushed, ZW - (gpz + 13.0) * FINE, lz)
cix = np.where(crushed, gix * 7919 + 3, cix)       # fine chunks get their own ids
ciz = np.where(crushed, giz * 104729 + 5, ciz)
csize = np.where(crushed, F(FINE), F(CELL))
shoulder = 1.0 - (1.0 - np.clip(edge / 0.26, 0, 1)) ** 2.0
lift = hash01(cix, ciz, 23)
kind = hash01(cix, ciz, 24)                        # per-chunk mineral type
shade = hash01(cix, ciz, 25)
# broken faces: two random cleavage planes per chunk, keep the lower one
tx1 = (hash01(cix, ciz, 21) - 0.5) * 1.6
tz1 = (hash01(cix, ciz, 22) - 0.5) * 1.6
tx2 = (hash01(cix, ciz, 26) - 0.5) * 2.2
tz2 = (hash01(cix, ciz, 27) - 0.5) * 2.2
facets = np.minimum(tx1 * lx + tz1 * lz, tx2 * lx + tz2 * lz + 0.12 * csize)
heap = fbm(X * 0.22 + 3.0, Z * 0.22, 3, 19)         # large-scale undulation of the pile

rough = fbm(X * 3.3, Z * 3.3, 6, 41)
grit = fbm(X * 21.0, Z * 21.0, 3, 51)

# metal veins: ridged noise, domain-warped so they meander
warp = fbm(X * 0.55 + 9.0, Z * 0.55, 4, 61)
vn = fbm(X * 0.6 + warp * 1.6, Z * 0.6 - warp * 1.3, 5, 71)
ridge = 1.0 - np.abs(2.0 * vn - 1.0)
vein = smoothstep(0.93, 0.985, ridge)
vein_halo = smoothstep(0.80, 0.96, ridge)
# disseminated metallic grains
speck = smoothstep(0.64, 0.72, fbm(X * 34.0, Z * 34.0, 2, 91))

height = (csize * (0.95 * lift + 0.16 * shoulder) + 0.34 * facets
          + 1.5 * heap
          + 0.045 * rough + 0.014 * fbm(X * 9.0, Z * 9.0, 3, 45) + 0.010 * grit
          + 0.012 * vein).astype(F)

# --------------------------------------------------------------------------
# normals in world space (screen-space gradients divided by pixel footprint)
# --------------------------------------------------------------------------
dh_dy, dh_dx = np.gradient(height)
dXdx = depth * SCALE / H                           # world units per pixel, x
dZdy = np.gradient(Z, axis=0)                      # world units per pixel, y (negative)
nx = -dh_dx / dXdx
nz = -dh_dy / dZdy
ny = np.ones_like(nx)
inv = 1.0 / np.sqrt(nx * nx + ny * ny + nz * nz)
nx, ny, nz = nx * inv, ny * inv, nz * inv

# crystalline sparkle: metallic grains are tiny flat crystals with random tilts
_, _, mix_, miz_, _, _ = voronoi(X * 70.0, Z * 70.0, 95)
sparkle_mask = np.clip(vein + speck, 0, 1)
nx = nx + (hash01(mix_, miz_, 96) - 0.5) * 0.9 * sparkle_mask
nz = nz + (hash01(mix_, miz_, 97) - 0.5) * 0.9 * sparkle_mask
inv = 1.0 / np.sqrt(nx * nx + ny * ny + nz * nz)
nx, ny, nz = nx * inv, ny * inv, nz * inv

# key light: low, from the far left (raking light reveals relief)
L = np.array([-0.62, 0.55, 0.56], F)
L /= np.linalg.norm(L)
# viewer: above the near edge looking down/forward
Vv = np.array([0.0, 0.55, -0.83], F)
Vv /= np.linalg.norm(Vv)
Hh = (L + Vv) / np.linalg.norm(L + Vv)

ndl = np.clip(nx * L[0] + ny * L[1] + nz * L[2], 0, 1)
ndh = np.clip(nx * Hh[0] + ny * Hh[1] + nz * Hh[2], 0, 1)
fill = np.clip(nx * 0.5 + ny * 0.8 - nz * 0.3, 0, 1)   # soft sky/bounce fill

# occlusion from crevices + large-scale cavity (height vs. its blurred self)
hn = (height - height.min()) / (height.max() - height.min())
cav = np.clip((hn - blur(hn, 24)) * 5.0 + 0.6, 0, 1)
ao = (0.45 + 0.55 * smoothstep(0.0, 0.16, edge)) * (0.3 + 0.7 * cav)

# cast shadows: march toward the (left) light across the height field
TAN_ELEV = L[1] / np.hypot(L[0], L[2])
horizon = np.full(height.shape, -9.0, F)
for k in range(1, 41):
    s_px = 3 * k
    hs = np.empty_like(height)
    hs[:, s_px:] = height[:, :-s_px]
    hs[:, :s_px] = height[:, :1]
    horizon = np.maximum(horizon, (hs - height) / (s_px * dXdx))
shadow = smoothstep(TAN_ELEV - 0.10, TAN_ELEV + 0.10, horizon)
ndl = ndl * (1.0 - 0.92 * shadow)

# --------------------------------------------------------------------------
# materials
# --------------------------------------------------------------------------
tone = fbm(X * 1.4 + 30.0, Z * 1.4, 4, 101)[..., None]
sh = shade[..., None]
host = np.array([0.048, 0.046, 0.044], F) + np.array([0.055, 0.050, 0.045], F) * (0.5 * tone + 0.5 * sh)
ore = np.array([0.055, 0.066, 0.085], F) + np.array([0.040, 0.052, 0.072], F) * (0.5 * tone + 0.5 * sh)
metal = np.array([0.13, 0.16, 0.21], F)              # cobalt-grey metallic
is_ore = smoothstep(0.40, 0.46, kind)[..., None]     # ~55 % of chunks are ore
rich = smoothstep(0.84, 0.86, kind)                  # a few very metallic chunks
albedo = host * (1 - is_ore) + ore * is_ore
metal_mask = np.clip(vein + speck * (0.25 + 0.75 * is_ore[..., 0]) + 0.55 * rich * (0.4 + 0.6 * tone[..., 0]), 0, 1)
albedo = albedo * (1 - 0.4 * vein_halo[..., None]) + ore * (0.4 * vein_halo[..., None])
albedo = albedo * (1 - metal_mask[..., None]) + metal * metal_mask[..., None]
albedo *= (0.8 + 0.4 * grit[..., None])
metal_mask = metal_mask[..., None]

key = np.array([1.00, 0.94, 0.86], F) * 2.0
sky = np.array([0.50, 0.62, 0.85], F) * 0.18
spec_col = np.array([0.78, 0.87, 1.00], F)

shin = 10.0 + 160.0 * metal_mask[..., 0]
spec_k = 0.015 + 6.0 * metal_mask[..., 0] + 0.03 * is_ore[..., 0]
spec = (ndh ** shin) * spec_k * (ndl > 0) * (1.0 - 0.95 * shadow)

col = (albedo * (ndl[..., None] * key + fill[..., None] * sky) * ao[..., None]
       + spec[..., None] * spec_col * ao[..., None] * 1.4)

# --------------------------------------------------------------------------
# photographic finish: depth of field, haze, tone map, vignette, grain
# --------------------------------------------------------------------------
# haze toward the far (top) edge
far = np.clip((depth - depth.min()) / (depth.max() - depth.min()), 0, 1)[..., None]
haze_col = np.array([0.050, 0.058, 0.070], F)
col = col * (1 - 0.55 * far ** 1.5) + haze_col * (0.55 * far ** 1.5)

# filmic tone map, then sRGB encode
col = np.clip(col, 0, None)
col = col * (2.51 * col + 0.03) / (col * (2.43 * col + 0.59) + 0.14)
col = np.clip(col, 0, 1)
col = np.where(col <= 0.0031308, 12.92 * col, 1.055 * np.power(col, 1 / 2.4) - 0.055).astype(F)

# depth of field: focus plane in the lower-middle of the frame
FOCUS_V = 0.72
coc = np.clip(np.abs(v - FOCUS_V) / 0.72, 0, 1) ** 1.3       # 0 sharp .. 1 max blur
levels = [0.0, 2.0, 5.0, 10.0]
stack = [col] + [blur(col, r) for r in levels[1:]]
pos = coc * (len(levels) - 1)
lo = np.clip(np.floor(pos).astype(int), 0, len(levels) - 2)
t = (pos - lo)[..., None]
out = np.zeros_like(col)
for k in range(len(levels) - 1):
    m = (lo == k)[..., None]
    out += np.where(m, stack[k] * (1 - t) + stack[k + 1] * t, 0)
col = out

# vignette
r2 = ((sx - W / 2) / (W / 2)) ** 2 * 0.8 + ((sy - H * 0.55) / (H / 2)) ** 2
col *= (1.0 - 0.42 * np.clip(r2, 0, 1.6) ** 1.4 / 1.6 ** 1.4)[..., None]

# film grain (luma-weighted, deterministic)
grain = rng.normal(0, 1, (H, W)).astype(F)
grain = blur((grain * 0.25 + 0.5), 0.6) - 0.5
col += (grain * 0.05)[..., None] * (0.6 + 0.4 * (1 - col))

img = Image.fromarray((np.clip(col, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")

save_kw = dict(quality=QUALITY, optimize=True, progressive=True, subsampling="4:2:0")
try:
    from PIL import ImageCms
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # fixed creation date + cleared profile ID, so the file is byte-for-byte reproducible
    icc[24:36] = bytes([0x07, 0xE8, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])   # 2024-01-01 00:00:00
    icc[84:100] = bytes(16)
    save_kw["icc_profile"] = bytes(icc)
except Exception:  # Pillow built without LittleCMS: pixels are still sRGB-encoded
    pass
img.save(OUT, "JPEG", **save_kw)
print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB, {W}x{H})")
