// A small horizontal bar chart drawn on <canvas> (no library): one bar per product, value at its end.
// The canvas keeps an aria-label; the same numbers are in a table next to it for screen readers.
import { t } from "./i18n.js";

const ROW_PX = 36;
const COLORS = ["#b0104f", "#2f6fd1", "#d98200", "#1b6e3a", "#6a3fb5", "#00838f"];

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{label: string, value: number}[]} bars
 * @param {(value: number) => string} format
 */
export function drawBars(canvas, bars, format = String) {
  const ratio = window.devicePixelRatio || 1;
  const height = Math.max(1, bars.length) * ROW_PX + 8;
  canvas.style.height = `${height}px`; // CSSOM, allowed by the CSP (no inline style attribute)
  const width = canvas.clientWidth || canvas.width;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "13px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  if (!bars.length || bars.every((b) => !b.value)) {
    ctx.fillStyle = "#5c5866";
    ctx.fillText(t("chart.no_sales"), 8, height / 2);
    return;
  }
  const labelWidth = Math.min(width * 0.4, Math.max(...bars.map((b) => ctx.measureText(b.label).width)) + 12);
  const valueWidth = Math.max(...bars.map((b) => ctx.measureText(format(b.value)).width)) + 10;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = ROW_PX;
  bars.forEach((bar, i) => {
    const y = i * rowHeight;
    ctx.fillStyle = "#1d1b22";
    let label = bar.label;
    while (label.length > 3 && ctx.measureText(label).width > labelWidth - 12) label = `${label.slice(0, -2)}…`;
    ctx.fillText(label, 4, y + rowHeight / 2);
    const length = Math.max(2, ((width - labelWidth - valueWidth) * bar.value) / max);
    ctx.fillStyle = COLORS[i % COLORS.length];
    ctx.fillRect(labelWidth, y + rowHeight * 0.2, length, rowHeight * 0.6);
    ctx.fillStyle = "#1d1b22";
    ctx.fillText(format(bar.value), labelWidth + length + 6, y + rowHeight / 2);
  });
}
