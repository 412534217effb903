"""WCAG contrast of what a page shows, measured in the browser from computed colours.

`placeholder_contrasts(page)` finds every placeholder a person sees (the `placeholder` of
inputs and text areas, read from their `::placeholder` style, and Dash dropdowns showing
their placeholder) and returns each one's colour, the colour behind it (the first opaque
background of it or its ancestors) and their contrast ratio (WCAG 2.x relative luminance).
"""

from __future__ import annotations

from typing import Any

WCAG_AA_TEXT = 4.5

_CONTRASTS_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const ch = [c.r, c.g, c.b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const out = [];
  const measure = (el, what, colour, owner) => {
    let fg = parse(colour);
    const bg = background(el);
    if (!fg) return;
    const opacity = Number(getComputedStyle(el).opacity);
    fg = over({...fg, a: fg.a * opacity}, bg);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    out.push({what, id: (owner || el).id || el.closest('[id]')?.id || '', colour,
              ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100});
  };
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (!visible(el) || el.value || !el.placeholder) continue;
    measure(el, el.placeholder, getComputedStyle(el, '::placeholder').color);
  }
  for (const el of document.querySelectorAll('.dash-dropdown-placeholder')) {
    if (!visible(el)) continue;
    measure(el, el.innerText, getComputedStyle(el).color, el.closest('.dash-dropdown'));
  }
  return out;
}
"""


def placeholder_contrasts(page: Any) -> list[dict]:
    """Return each visible placeholder's text, element id, colour and contrast ratio."""
    result: list[dict] = page.evaluate(_CONTRASTS_JS)
    return result
