"""viz.render: real SVG and PNG files from Graphviz's `dot` (CI installs Graphviz), hostile labels intact, and the
path without `dot`."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest

import viz
from tinygrad_notes import Tensor, name_scope
from viz.dot import escape

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ['<b>bold</b>', 'a & b', 'say "hi"', "it's", "back\\slash\\", "port:colon", "{rec|ord}", "two\nlines"]


def hostile_graph():
    tensors = []
    for i, name in enumerate(HOSTILE):
        t = Tensor(float(i + 1), requires_grad=True)
        t.name = name
        tensors.append(t)
    total = tensors[0]
    for t in tensors[1:]:
        total = total * t
    return total


def svg_nodes(path):
    """(class, texts) of every node group in an SVG written by dot."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    out = []
    for g in root.iter(f"{SVG}g"):
        if "node" in g.get("class", "").split():
            out.append((g.get("class"), [t.text or "" for t in g.iter(f"{SVG}text")]))
    return out


def test_render_svg_keeps_every_hostile_label_and_adds_no_phantom_node(tmp_path):
    graph = viz.draw_graph(hostile_graph(), legend=False)
    path = viz.render(graph, tmp_path / "hostile.svg")
    assert path == tmp_path / "hostile.svg"
    nodes = svg_nodes(path)
    assert len(nodes) == 8 + 7 + 7  # leaves, muls, their outputs: no node made up from a port or a record
    titles = [texts[0] for cls, texts in nodes if "leaf" in cls]
    assert sorted(titles) == sorted([n for n in HOSTILE if "\n" not in n] + ["two"])
    two = next(texts for cls, texts in nodes if texts[0] == "two")
    assert two[1] == "lines"  # the newline became a line break
    assert (tmp_path / "hostile.dot").read_text() == graph.source


def test_escape_is_the_one_place_labels_are_made_safe():
    assert escape('a<b>&"c"\'') == "a&lt;b&gt;&amp;&quot;c&quot;&#39;"
    assert escape("one\ntwo\r\nthree") == 'one<BR ALIGN="LEFT"/>two<BR ALIGN="LEFT"/>three'
    assert escape("tab\there\x00\x1b") == "tab here"  # control characters cannot be written to DOT
    assert escape("lone \ud800 surrogate") == "lone ? surrogate"
    assert escape("trailing backslash\\") == "trailing backslash\\"  # plain text in an HTML label
    assert escape("plain text: fine") == "plain text: fine"


def test_module_names_are_escaped_in_cluster_titles(tmp_path):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with name_scope('enc<0> & "dec"'):
        y = (x * 2.0).sum()
    path = viz.render(viz.draw_graph(y, legend=False), tmp_path / "scoped.svg")
    root = ET.parse(path).getroot()
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class", "").split()[:1] == ["cluster"]]
    assert [[t.text for t in g.iter(f"{SVG}text")] for g in clusters] == [['enc<0> & "dec"']]


def test_render_png_and_pdf_are_real_files(tmp_path):
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * 3.0).tanh().sum()
    loss.backward(retain_graph=True)
    graph = viz.draw_graph(loss)
    png = viz.render(graph, tmp_path / "g.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert 200 < width < 5000 and 100 < height < 5000
    pdf = viz.render(graph, tmp_path / "g", format="pdf")
    assert pdf.name == "g.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "g.dot").exists()


def test_jupyter_inline_display_gives_svg():
    bundle = viz.draw_graph(hostile_graph())._repr_mimebundle_()
    assert "image/svg+xml" in bundle
    root = ET.fromstring(bundle["image/svg+xml"])
    assert root.tag == f"{SVG}svg"


def test_without_dot_the_source_is_saved_and_the_error_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # hide Graphviz's programs
    graph = viz.draw_graph(hostile_graph())
    with pytest.raises(viz.GraphvizNotFoundError) as info:
        viz.render(graph, tmp_path / "graph.svg")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install", "graph.dot"):
        assert hint in message
    assert (tmp_path / "graph.dot").read_text() == graph.source
    assert not (tmp_path / "graph.svg").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # nothing half-written left behind


def test_dot_failure_and_bad_arguments_are_explained(tmp_path):
    with pytest.raises(viz.GraphvizRenderError, match=r"dot -Tsvg.*failed.*syntax error"):
        viz.render("digraph { a -> }", tmp_path / "broken.svg")
    assert not (tmp_path / "broken.svg").exists()
    with pytest.raises(ValueError, match=r"format must be one of svg, png, pdf; got 'gif'"):
        viz.render("digraph {}", tmp_path / "x.gif")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        viz.render("digraph {}", tmp_path / "missing" / "x.svg")
    with pytest.raises(TypeError, match=r"expected a graphviz graph"):
        viz.render(42, tmp_path / "x.svg")
