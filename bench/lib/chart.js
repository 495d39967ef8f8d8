'use strict';
// A dependency-free SVG bar chart of the medians: requests/s at 50 connections and gateway CPU ms per
// request at 1 connection, one bar per gateway.

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

function panel(title, rows, x0, unit) {
  const w = 420;
  const barH = 22;
  const max = Math.max(1e-9, ...rows.map((r) => r.value ?? 0));
  const out = [`<text x="${x0}" y="24" font-size="14" font-weight="bold">${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const y = 40 + i * (barH + 8);
    const len = r.value == null ? 0 : Math.max(1, (r.value / max) * (w - 170));
    out.push(`<text x="${x0}" y="${y + 15}" font-size="12">${esc(r.label)}</text>`);
    out.push(`<rect x="${x0 + 110}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${r.label.startsWith('roam') ? '#d2691e' : '#4682b4'}"/>`);
    out.push(`<text x="${x0 + 115 + len}" y="${y + 15}" font-size="12">${r.value == null ? 'n/a' : `${r.value.toFixed(r.value < 10 ? 2 : 0)} ${unit}`}</text>`);
  });
  return out.join('\n');
}

/**
 * @param {{label: string, rps50: number|null, cpu1: number|null}[]} rows medians per gateway
 * @param {string} subtitle e.g. the timestamp and settings
 * @returns {string} SVG document
 */
function chartSvg(rows, subtitle) {
  const h = 60 + rows.length * 30 + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="${h}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    panel(
      'requests/s, 50 connections (median)',
      rows.map((r) => ({ label: r.label, value: r.rps50 })),
      10,
      'req/s',
    ),
    panel(
      'gateway CPU ms per request, 1 connection (median)',
      rows.map((r) => ({ label: r.label, value: r.cpu1 })),
      460,
      'ms',
    ),
    `<text x="10" y="${h - 10}" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    '</svg>',
  ].join('\n');
}

module.exports = { chartSvg };
