// Pan (drag) and zoom (wheel, centred on the pointer) of the inline SVG that dot laid out, through its viewBox.
"use strict";
function vizPanZoom(svg) {
  const box = svg.viewBox.baseVal;
  const home = { x: box.x, y: box.y, width: box.width, height: box.height };
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  let drag = null;
  function point(event) {  // the pointer in the SVG's coordinates
    const m = svg.getScreenCTM();
    if (!m) return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const p = point(event);
    const k = Math.exp(Math.sign(event.deltaY) * 0.15);
    box.x = p.x - (p.x - box.x) * k;
    box.y = p.y - (p.y - box.y) * k;
    box.width *= k;
    box.height *= k;
  }, { passive: false });
  svg.addEventListener("mousedown", (event) => {
    drag = { x: event.clientX, y: event.clientY, bx: box.x, by: box.y, moved: false };
    svg.parentElement.parentElement.classList.add("dragging");
  });
  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    const scale = box.width / svg.clientWidth;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    box.x = drag.bx - dx * scale;
    box.y = drag.by - dy * scale;
  });
  window.addEventListener("mouseup", () => {
    if (drag) svg.parentElement.parentElement.classList.remove("dragging");
    svg.dataset.dragged = drag && drag.moved ? "1" : "";
    drag = null;
  });
  return {
    fit() { Object.assign(box, home); },
    centre(element) {  // bring an element to the middle, zoomed in enough to read it
      const b = element.getBBox();
      const m = element.getCTM(), root = svg.getCTM();
      let x = b.x + b.width / 2, y = b.y + b.height / 2;
      if (m && root) {
        const p = new DOMPoint(x, y).matrixTransform(root.inverse().multiply(m));
        x = p.x; y = p.y;
      }
      const width = Math.min(home.width, Math.max(b.width * 6, 400));
      const height = width * home.height / home.width;
      Object.assign(box, { x: x - width / 2, y: y - height / 2, width: width, height: height });
    },
  };
}
