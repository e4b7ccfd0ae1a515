"""viz.to_html, read as a file: one self-contained offline page, its data, its levels, hostile names kept inert.
(The same pages in a real browser: test_viz_browser.py.)"""

from __future__ import annotations

import json
import re
import warnings

import graphviz
import numpy as np
import pytest

import nn
import viz
from tinygrad_notes import Tensor, gradcheck_model, record_sources

NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
HOSTILE = '</script><script>window.pwned = 1</script> & "b" <i>'


def page_data(path):
    text = path.read_text()
    (raw,) = re.findall(r'<script type="application/json" id="data">(.*?)</script>', text, flags=re.S)
    return json.loads(raw)


def model_and_loss(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 6, generator=rng), nn.ReLU(), nn.Linear(6, 3, generator=rng))
    X = rng.standard_normal((5, 4)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    with record_sources():
        loss = nn.functional.cross_entropy(model(Tensor(X)), y)  # the line the page names
    return model, loss, X, y


def test_the_page_is_one_offline_file(tmp_path):
    model, loss, _, _ = model_and_loss()
    loss.backward()
    path = viz.to_html(loss, tmp_path / "graph.html", params=model)
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    urls = set(re.findall(r"https?://[^\s\"'<>)]*", text))
    assert urls <= NAMESPACES, urls - NAMESPACES  # no reference to anything on a network
    assert "default-src 'none'" in text  # the page's policy forbids every fetch
    assert not re.search(r"<(script|img|link|iframe)[^>]*\b(src|href)=", text)
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text  # dot's prolog is dropped from the inline SVG
    assert text.count("<svg") == 2  # two levels: modules collapsed, all expanded


def test_the_data_holds_values_gradients_sources_and_levels(tmp_path):
    model, loss, X, y = model_and_loss()
    loss.backward()
    data = page_data(viz.to_html(loss, tmp_path / "graph.html", params=model))
    assert [level["name"] for level in data["levels"]] == ["modules collapsed at depth 1", "all expanded"]
    assert data["start"] == 1  # draw_graph's default: modules expanded as clusters
    collapsed, expanded = data["levels"]
    assert sorted(collapsed["collapsed"]) == ["0", "1", "2"] and sorted(expanded["clusters"]) == ["0", "1", "2"]
    nodes = data["nodes"]
    (weight,) = [n for n in nodes if n["name"] == "0.weight"]
    w = model[0].weight
    assert weight["shape"] == "(6, 4) float32" and weight["kind"] == "parameter"
    assert sum(weight["value"]["hist"]["counts"]) == 24
    assert weight["grad"]["norm"] == f"{np.linalg.norm(w.grad.numpy()):.4g}"
    assert weight["grad"]["size"] == 24 and "values" not in weight["grad"]  # 24 > 16: a summary only
    assert weight["value"]["min"] == f"{w.numpy().min():.4g}"
    linears = [n for n in nodes if n["kind"] == "op" and n.get("op") == "linear"]
    assert len(linears) == 2
    assert all(n["source"].endswith("loss = nn.functional.cross_entropy(model(Tensor(X)), y)  # the line the "
                                    "page names") for n in linears)
    assert linears[0]["formula"].startswith("dx = g W")
    freed = [n for n in nodes if n["kind"] == "intermediate"]
    assert freed and all("value" not in n and n["value_note"].startswith("freed by backward") for n in freed)
    modules = data["modules"]
    assert modules["0"]["title"] == "0: Linear(4→6)" and modules["0"]["ops"] == "linear"
    assert [p[0] for p in modules["2"]["params"]] == ["2.weight", "2.bias"]


def test_a_gradcheck_report_gives_each_parameter_its_row(tmp_path):
    model, loss, X, y = model_and_loss()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 parameters are checked as float64 copies, and it says so
        report = gradcheck_model(model, nn.functional.cross_entropy, X, y)
    data = page_data(viz.to_html(loss, tmp_path / "graph.html", params=model, report=report))
    rows = {n["name"]: n["check"] for n in data["nodes"] if "check" in n}
    assert sorted(rows) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    entry = next(e for e in report.entries if e.name == "2.weight")
    assert rows["2.weight"]["rel_error"] == f"{entry.rel_error:.2e}" and rows["2.weight"]["passed"] is True
    assert rows["2.weight"]["verdict"] == entry.verdict


def test_hostile_names_stay_text(tmp_path):
    x = Tensor(np.ones(3), requires_grad=True)
    x.name = HOSTILE
    path = viz.to_html((x * 2).sum(), tmp_path / "hostile.html")
    text = path.read_text()
    assert "</script><script>window.pwned" not in text
    assert "<i>" not in text.split('id="data">')[1]  # neither in the data...
    assert [n["name"] for n in page_data(path)["nodes"] if n["kind"] == "leaf"] == [HOSTILE]  # ...which keeps it


def test_a_picture_from_draw_graph_brings_its_options_and_bad_input_is_refused(tmp_path):
    model, loss, _, _ = model_and_loss()
    picture = viz.draw_graph(loss, model, collapse=True)
    data = page_data(viz.to_html(picture, tmp_path / "p.html"))
    assert data["start"] == 0  # collapse=True: the page opens with the modules collapsed
    with pytest.raises(TypeError, match=r"not drawn by viz.draw_graph"):
        viz.to_html(graphviz.Digraph(), tmp_path / "x.html")
    with pytest.raises(TypeError, match=r"brings its own params, report and options"):
        viz.to_html(picture, tmp_path / "x.html", fold=False)
    with pytest.raises(TypeError, match=r"to_html: give the Tensor"):
        viz.to_html("loss", tmp_path / "x.html")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        viz.to_html(loss, tmp_path / "missing" / "x.html")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'colour'"):
        viz.to_html(loss, tmp_path / "x.html", colour="red")
