"""viz's pages in a real browser: Debian's Chromium driven by Playwright (never Playwright's own download).

The graph page of the demo's MLP: click a parameter and read the panel, click an op and read the line that
made it, search a name, collapse and expand a module cluster, save a screenshot; nothing is fetched from
anywhere. The step-by-step page of micrograd's neuron: step through and read each step. `bash go.sh test`
installs Chromium with apt (as it installs Graphviz); these tests are skipped only where it cannot be.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import nn
import viz
from tinygrad_notes import Tensor, record_sources

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed here (apt-get install chromium; `bash go.sh test` does it)")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed here (apt-get install graphviz; `bash go.sh test` does it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: "
                                   "pip install -e '.[test]'")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    problems, requests = [], []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, problems, requests


def demo_mlp():
    """The demo's model (64-128-10, He init, dropout after the ReLU) on a small batch."""
    from tinygrad_notes.app.demo import build_mlp

    rng = np.random.default_rng(0)
    model = build_mlp(64, (128,), 0.2, rng)
    X = Tensor(rng.standard_normal((8, 64)).astype(np.float32))
    with record_sources():
        loss = nn.functional.cross_entropy(model(X), rng.integers(0, 10, 8))  # made here
    return model, loss


def test_the_graph_page_of_the_demo_mlp(browser, tmp_path):
    model, loss = demo_mlp()
    loss.backward()  # a plain backward: the page is drawn after it
    path = viz.to_html(loss, tmp_path / "graph.html", params=model)
    page, problems, requests = open_page(browser, path)

    # click a parameter: its shape, value summary with a histogram, gradient and norm
    page.locator("#level1 g.node.parameter", has_text="0.weight").first.click()
    panel = page.inner_text("#details")
    weight = model[0].weight
    assert panel.splitlines()[0] == "0.weight"
    assert "shape\t(128, 64) float32" in panel and "module\t0: Linear(64→128)" in panel
    assert f"norm\t{np.linalg.norm(weight.grad.numpy()):.4g}" in panel
    assert f"max\t{weight.numpy().max():.4g}" in panel
    assert page.locator("#details svg.hist.value rect").count() == 16
    assert page.locator("#details svg.hist.grad rect").count() == 16
    assert page.locator("#level1 g.node.selected", has_text="0.weight").count() == 1

    # click an op: its formula and the line of user code that made it
    page.locator("#level1 g.node.op", has_text="relu").first.click()
    panel = page.inner_text("#details")
    assert "d relu(x)/dx = 1 if x > 0 else 0" in panel
    assert f"{__file__}:" in panel and "# made here" in panel

    # search a name
    page.fill("#search", "3.bias")
    page.press("#search", "Enter")
    assert page.inner_text("#details").splitlines()[0] == "3.bias"
    found = page.locator("g.node.found")
    assert found.count() == 1 and "3.bias" in found.text_content()
    page.fill("#search", "no such tensor")
    assert "No tensor or module is named like" in page.inner_text("#results")

    # collapse a module cluster by its title, then expand it again
    page.click("#fit")  # the search zoomed in on 3.bias
    page.locator("#level1 g.cluster text", has_text="0: Linear(64→128)").click()
    assert "Collapse" in page.inner_text("#details")
    page.click("#collapse")
    assert page.locator("#level0").is_visible() and not page.locator("#level1").is_visible()
    module = page.locator("#level0 g.node.module", has_text="Linear(64→128)")
    assert module.count() == 1
    assert "module (collapsed)" in page.inner_text("#details")
    module.click()
    page.click("#expand")
    assert page.locator("#level1").is_visible()
    assert page.locator("#level1 g.cluster.selected", has_text="0: Linear(64→128)").count() == 1

    # pan and zoom move the SVG's viewBox; fit brings the whole picture back
    svg = page.locator("#level1 svg")
    view_box = "s => [s.viewBox.baseVal.x, s.viewBox.baseVal.y, s.viewBox.baseVal.width]"
    page.click("#fit")
    whole = svg.evaluate(view_box)
    area = svg.bounding_box()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    page.mouse.wheel(0, -200)  # zoom in around the pointer
    page.wait_for_function(f"document.querySelector('#level1 svg').viewBox.baseVal.width < {whole[2]}")
    zoomed = svg.evaluate(view_box)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2 + 120, area["y"] + area["height"] / 2, steps=4)
    page.mouse.up()
    dragged = svg.evaluate(view_box)
    assert dragged[0] < zoomed[0] and dragged[2] == zoomed[2]  # dragged right: the view moved left
    page.click("#fit")
    assert svg.evaluate(view_box) == whole
    shot = page.screenshot(path=str(tmp_path / "graph.png"))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000
    assert problems == []
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []


def test_a_hostile_name_is_shown_as_text_and_runs_nothing(browser, tmp_path):
    x = Tensor(np.ones(3), requires_grad=True)
    x.name = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    page, problems, _ = open_page(browser, viz.to_html((x * 2).sum(), tmp_path / "hostile.html"))
    page.locator("g.node.leaf").first.click()
    assert page.inner_text("#details").splitlines()[0] == x.name
    assert page.evaluate("window.pwned") is None
    assert problems == []


def test_the_step_by_step_page_of_the_neuron(browser, tmp_path):
    def named(value, name):
        t = Tensor(np.float64(value), requires_grad=True)
        t.name = name
        return t

    x1, x2, w1, w2, b = named(2.0, "x1"), named(0.0, "x2"), named(-3.0, "w1"), named(1.0, "w2"), \
        named(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    path = tmp_path / "steps.html"
    viz.backprop_steps(o, path)
    page, problems, requests = open_page(browser, path)
    do_dn = 1 - np.tanh(0.8813735870195432) ** 2  # 0.5

    def panel():
        return page.inner_text("#details")

    assert panel().splitlines()[0] == "Step 0: start at o, ∂o/∂o = 1"
    assert page.locator("#prev").is_disabled()
    page.click("#next")
    text = panel()
    assert text.splitlines()[0] == "Step 1: the backward of tanh that made o"
    assert "d tanh x/dx = 1 - tanh(x)^2" in text and f"∂o/∂add2\t{do_dn:.4g}" in text
    assert page.locator("g.node.op.current", has_text="tanh").count() == 1
    for _ in range(3):
        page.click("#next")
    text = panel()  # step 4: x2*w2, the newer mul, runs first
    assert text.splitlines()[0] == "Step 4: the backward of mul that made mul2"
    assert "∂mul2/∂x2\t1" in text and "∂mul2/∂w2\t0" in text  # d(xy)/dx = y: w2 = 1, x2 = 0
    page.locator("#slider").fill("5")
    text = panel()
    assert text.splitlines()[0] == "Step 5: the backward of mul that made mul1"
    assert "∂o/∂x1 +=\t-1.5" in text and "∂o/∂w1 +=\t1" in text
    assert f"∂o/∂b\t{do_dn:.4g}" in text and "∂o/∂x2\t0.5" in text  # what earlier steps accumulated
    assert page.locator("#next").is_disabled()
    page.keyboard.press("ArrowLeft")
    assert panel().splitlines()[0] == "Step 4: the backward of mul that made mul2"
    assert page.locator("g.node.op.done").count() == 3  # tanh and the two adds are behind us
    page.screenshot(path=str(tmp_path / "steps.png"))
    assert problems == []
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []


def test_a_parameters_panel_shows_its_gradient_check_row(browser, tmp_path):
    import warnings

    from tinygrad_notes import gradcheck_model

    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(3, 4, generator=rng), nn.Tanh(), nn.Linear(4, 2, generator=rng))
    X, y = rng.standard_normal((6, 3)).astype(np.float32), np.array([0, 1, 1, 0, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 parameters are checked as float64 copies, and it says so
        report = gradcheck_model(model, nn.functional.cross_entropy, X, y)
    loss = nn.functional.cross_entropy(model(Tensor(X)), y)
    page, problems, _ = open_page(browser, viz.to_html(loss, tmp_path / "checked.html", params=model, report=report))
    page.locator("#level1 g.node.parameter", has_text="2.weight").first.click()
    entry = next(e for e in report.entries if e.name == "2.weight")
    panel = page.inner_text("#details")
    assert f"passed: {entry.verdict} (rel err {entry.rel_error:.2e})" in panel
    assert "entry\t2.weight" in panel
    assert problems == []
