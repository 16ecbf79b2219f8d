// The drawing pad of gan_utils.canvas.DrawCanvas (an anywidget; no imports, so it works offline).
// Strokes are lists of [x, y] points in [0, 1]; a finished stroke is sent to Python at once.

function render({ model, el }) {
  const size = model.get("size");
  const root = document.createElement("div");
  root.className = "gan-draw";
  root.style.cssText = "display:inline-flex;flex-direction:column;gap:6px;font:13px sans-serif";

  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.className = "gan-draw-canvas";
  // touch-action none: a finger draws instead of scrolling the page
  canvas.style.cssText = "background:#000;cursor:crosshair;touch-action:none;border-radius:4px";
  const ctx = canvas.getContext("2d");

  const row = document.createElement("div");
  row.style.cssText = "display:flex;align-items:center;gap:8px";
  const clear = document.createElement("button");
  clear.textContent = "clear";
  clear.className = "gan-draw-clear";
  const label = document.createElement("label");
  label.textContent = "pen";
  const pen = document.createElement("input");
  pen.type = "range";
  pen.min = "0.03";
  pen.max = "0.2";
  pen.step = "0.01";
  pen.className = "gan-draw-pen";
  pen.value = String(model.get("pen"));
  label.appendChild(pen);
  row.append(clear, label);
  root.append(canvas, row);
  el.appendChild(root);

  let current = null; // the stroke being drawn, or null

  function line(points) {
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = model.get("pen") * size;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (points.length === 1) {
      const [x, y] = points[0];
      ctx.beginPath();
      ctx.arc(x * size, y * size, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0] * size, points[0][1] * size);
    for (const [x, y] of points.slice(1)) ctx.lineTo(x * size, y * size);
    ctx.stroke();
  }

  function redraw() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    for (const stroke of model.get("strokes")) line(stroke);
    if (current) line(current);
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    current.push(point(event));
    redraw();
  });
  function finish() {
    if (!current) return;
    const stroke = current;
    current = null;
    model.set("strokes", [...model.get("strokes"), stroke]);
    model.save_changes();
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  clear.addEventListener("click", () => {
    current = null;
    model.set("strokes", []);
    model.save_changes();
  });
  pen.addEventListener("input", () => {
    model.set("pen", Number(pen.value));
    model.save_changes();
  });

  const onStrokes = () => redraw();
  const onPen = () => {
    pen.value = String(model.get("pen"));
    redraw();
  };
  model.on("change:strokes", onStrokes);
  model.on("change:pen", onPen);
  redraw();
  return () => {
    model.off("change:strokes", onStrokes);
    model.off("change:pen", onPen);
  };
}

export default { render };
