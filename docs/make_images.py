"""Regenerate the pictures in README.md: python docs/make_images.py (needs Graphviz's dot; the screenshots of the
HTML pages also need Debian's chromium and playwright, the test extra)."""

import tempfile
from pathlib import Path

import numpy as np

import nn
import viz
from tinygrad_notes import Tensor, record_sources

here = Path(__file__).parent / "images"

# A micrograd-style neuron, drawn after a plain backward: values and gradients on every node.
x1, x2 = Tensor(2.0, requires_grad=True), Tensor(0.0, requires_grad=True)
w1, w2 = Tensor(-3.0, requires_grad=True), Tensor(1.0, requires_grad=True)
b = Tensor(6.8813735870195432, requires_grad=True)
params = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}
o = (x1 * w1 + x2 * w2 + b).tanh()
viz.retain_grads(o)  # the intermediate values and gradients too
o.backward()
viz.render(viz.draw_graph(o, params), here / "neuron.svg")

# A two-layer MLP from nn: clusters titled with each module's class and sizes, parameters by name.
model = nn.Sequential(nn.Linear(4, 8, generator=np.random.default_rng(0)), nn.ReLU(),
                      nn.Linear(8, 3, generator=np.random.default_rng(1)))
X, y = Tensor(np.random.default_rng(2).standard_normal((5, 4))), np.array([0, 2, 1, 1, 0])
loss = nn.functional.cross_entropy(model(X), y) + nn.l2_penalty(model, 0.1, 5)
loss.backward()
viz.render(viz.draw_graph(loss, model), here / "mlp.svg")

# Ten identical blocks fold into one ×10 box.
rng = np.random.default_rng(0)
deep = nn.Sequential(*[m for _ in range(10) for m in (nn.Linear(16, 16, generator=rng), nn.ReLU())],
                     nn.Linear(16, 4, generator=rng))
deep_loss = deep(Tensor(rng.standard_normal((8, 16)).astype(np.float32))).square().mean()
deep_loss.backward()
viz.render(viz.draw_graph(deep_loss, deep, legend=False), here / "folded.svg")

# The interactive page of the demo's MLP, as a screenshot: a parameter clicked.
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    print("playwright is not installed (pip install -e '.[test]'): no screenshot of the HTML page")
else:
    from tinygrad_notes.app.demo import build_mlp

    rng = np.random.default_rng(0)
    mlp = build_mlp(64, (128,), 0.2, rng)
    with record_sources():
        mlp_loss = nn.functional.cross_entropy(mlp(Tensor(rng.standard_normal((8, 64)).astype(np.float32))),
                                               rng.integers(0, 10, 8))
    mlp_loss.backward()
    with tempfile.TemporaryDirectory() as tmp:
        page_path = viz.to_html(mlp_loss, Path(tmp) / "graph.html", params=mlp)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page(viewport={"width": 1300, "height": 640})
            page.goto(page_path.as_uri())
            weight = page.locator("#level1 g.node.parameter", has_text="0.weight").first
            weight.click()
            box = weight.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            for _ in range(4):  # zoom in on the first layers, where the clicked weight is
                page.mouse.wheel(0, -100)
            page.screenshot(path=str(here / "graph_page.png"))
            browser.close()
for source in here.glob("*.dot"):  # render writes the DOT text beside each picture; the README shows pictures
    source.unlink()
print("wrote", *sorted(p.name for p in here.iterdir()))
