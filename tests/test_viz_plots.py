"""viz plots: each draws with Agg into a Figure and saves real PNG/SVG files; matplotlib stays unimported until
a plot is asked for; the notes' bias/variance reading and the EWMA's numbers."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.colors import to_rgba

import optim
import viz
from tinygrad_notes import Tensor
from viz import style


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, viz; viz.draw_graph; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def check_svg(path):
    assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize("train_error, dev_error, base_error, verdict", [
    (0.01, 0.11, 0.0, "high variance"),  # the notes' four cases
    (0.15, 0.16, 0.0, "high bias"),
    (0.15, 0.30, 0.0, "high bias and high variance"),
    (0.005, 0.01, 0.0, "fine"),
    (0.15, 0.16, 0.15, "fine"),  # blurry images: 15% is the best anyone can do
])
def test_diagnose_reads_errors_as_the_notes_do(train_error, dev_error, base_error, verdict):
    assert viz.diagnose(train_error, dev_error, base_error) == verdict


def test_explain_gives_numbers_and_advice():
    text = viz.explain(0.15, 0.30)
    assert text.startswith("train error 15.0%, dev error 30.0%, base error 0.0%: avoidable bias 15.0%, variance 15.0%")
    assert "bigger network" in text and "regularization" in text
    assert viz.explain(0.005, 0.01).endswith("fine: low bias and low variance")
    with pytest.raises(ValueError, match=r"fraction between 0 and 1 \(0.11 for 11%\); got 11"):
        viz.diagnose(1, 11)


def test_learning_curves_on_one_chart_with_the_reading(tmp_path):
    epochs = 30
    train_cost = np.exp(-np.arange(epochs) / 8)
    dev_cost = train_cost + np.linspace(0, 0.3, epochs)
    train_acc = np.linspace(0.6, 0.99, epochs)
    dev_acc = np.linspace(0.55, 0.85, epochs)
    fig = viz.plot_learning_curves(train_cost, dev_cost, train_accuracy=train_acc, dev_accuracy=dev_acc,
                                   path=tmp_path / "curves.png")
    check_png(tmp_path / "curves.png")
    assert fig.diagnosis == viz.explain(0.01, 0.15) and "high variance" in fig.diagnosis
    cost_ax, acc_ax = fig.axes
    assert [line.get_label() for line in cost_ax.lines] == ["train cost", "dev cost"]
    assert [line.get_label() for line in acc_ax.lines] == ["train accuracy", "dev accuracy"]
    assert np.allclose(cost_ax.lines[1].get_ydata(), dev_cost)
    viz.save_figure(fig, tmp_path / "curves.svg")
    check_svg(tmp_path / "curves.svg")
    with pytest.raises(ValueError, match=r"dev cost has 3 values but train cost has 30"):
        viz.plot_learning_curves(train_cost, [1, 2, 3])
    assert viz.plot_learning_curves([3.0, 2.0, 1.5]).diagnosis is None  # no accuracies, no reading


def test_gradient_norms_per_layer_coloured_like_the_graphs(tmp_path):
    rng = np.random.default_rng(0)
    params = {f"W{k}": Tensor(rng.standard_normal((3, 3)), requires_grad=True) for k in range(4)}
    history = []
    for epoch in range(5):
        for k, W in enumerate(params.values()):
            W.grad = Tensor(np.full((3, 3), 10.0 ** (-2 * (3 - k)) * (epoch + 1)))  # vanishing towards W0
        history.append(viz.grad_norms(params))
    assert history[0]["W3"] == pytest.approx(3.0) and history[4]["W0"] == pytest.approx(3e-6 * 5)
    fig = viz.plot_grad_norms(history, path=tmp_path / "grads.png")
    check_png(tmp_path / "grads.png")
    bar_ax, line_ax = fig.axes
    (bars,) = bar_ax.containers
    assert len(bars.patches) == 4 and len(line_ax.lines) == 4
    for bar, name in zip(bars.patches, params):
        assert bar.get_height() == pytest.approx(history[-1][name])
        assert bar.get_facecolor() == pytest.approx(to_rgba(style.grad_color(history[-1][name])))
    same = viz.plot_grad_norms({k: [h[k] for h in history] for k in params})  # a dict of series works too
    assert [b.get_height() for b in same.axes[0].containers[0]] == [b.get_height() for b in bars.patches]
    one_epoch = viz.plot_grad_norms(history[:1])
    assert len(one_epoch.axes) == 1
    with pytest.raises(TypeError, match=r"list of \{layer: norm\} dicts"):
        viz.plot_grad_norms([1.0, 2.0])


def test_grad_norms_reads_a_module_and_marks_missing_gradients():
    class Model:
        def __init__(self):
            self.w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
            self.b = Tensor(np.zeros(1), requires_grad=True)

        def named_parameters(self):
            return [("w", self.w), ("b", self.b)]

    model = Model()
    (model.w * 2.0).sum().backward()
    norms = viz.grad_norms(model)
    assert norms["w"] == pytest.approx(np.sqrt(8.0)) and np.isnan(norms["b"])


def test_learning_rate_schedules(tmp_path):
    alpha0 = 0.2
    fig = viz.plot_lr_schedule({
        "1/(1 + decay·epoch)": lambda e: alpha0 / (1 + 1.0 * e),
        "0.95^epoch": [0.95**e * alpha0 for e in range(20)],
    }, epochs=20, log=True, path=tmp_path / "lr.svg")
    check_svg(tmp_path / "lr.svg")
    (ax,) = fig.axes
    assert np.allclose(ax.lines[0].get_ydata(), [alpha0 / (1 + e) for e in range(20)])
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match=r"give epochs=\.\.\."):
        viz.plot_lr_schedule(lambda e: 0.1)


def _figures_with_legends():
    epochs = np.arange(30)
    curves = viz.plot_learning_curves(np.exp(-epochs / 8), np.exp(-epochs / 8) + 0.01 * epochs,
                                      train_accuracy=np.linspace(0.6, 0.99, 30), dev_accuracy=np.linspace(0.5, 0.9, 30))
    norms = viz.plot_grad_norms([{"W0": 0.0, "W1": 1e-6 * e, "W2": 0.5, "W3": 2e3} for e in range(1, 6)])
    schedules = viz.plot_lr_schedule({"1/(1 + epoch)": lambda e: 0.2 / (1 + e), "constant": [0.1] * 20}, epochs=20)
    smoothed = viz.plot_smoothed(np.linspace(2, 0.2, 200) + np.sin(np.arange(200)))
    return {"learning curves (twin axes)": curves, "gradient norms": norms, "lr schedules": schedules,
            "smoothed": smoothed}


@pytest.mark.parametrize("name", list(_figures_with_legends()))
def test_legends_never_cover_the_data(name):
    fig = _figures_with_legends()[name]
    fig.canvas.draw()  # the layout engine places the legends at draw time
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    assert legends, f"{name}: no legend drawn"
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:  # the twin axis of the learning curves too
            assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: the legend covers {ax.get_title()!r}"
    if name.startswith("learning curves"):
        (legend,) = legends  # one legend for the cost and the accuracy axes
        assert [t.get_text() for t in legend.get_texts()] == ["train cost", "dev cost", "train accuracy",
                                                               "dev accuracy"]


def test_an_exactly_zero_gradient_norm_is_drawn_and_labelled_0():
    history = [{"W0": 0.0, "W1": 1e-6 * (e + 1), "W2": 0.5} for e in range(4)]
    history[1]["W0"] = 1e-9  # W0 is dead in every epoch but one
    fig = viz.plot_grad_norms(history)
    fig.canvas.draw()
    bar_ax, line_ax = fig.axes
    for ax in (bar_ax, line_ax):
        assert ax.get_yscale() == "symlog" and ax.get_ylim()[0] == 0.0  # 0 is on the axis...
        zero_labels = [t.get_text() for t in ax.get_yticklabels() if t.get_position()[1] == 0.0]
        assert zero_labels == ["$\\mathdefault{0}$"]  # ...with a tick labelled "0"
        assert ax.get_yticks()[1] == pytest.approx(1e-10)  # then the log decades, from a decade below 1e-9
    (zero_bar,) = [line for line in bar_ax.lines if line.get_marker() == "v"]
    assert list(zero_bar.get_xdata()) == [0] and list(zero_bar.get_ydata()) == [0.0]
    assert [t.get_text() for t in bar_ax.texts] == ["0"] and bar_ax.texts[0].xy == (0, 0.0)
    w0_line = line_ax.lines[0]
    assert w0_line.get_label() == "W0" and list(w0_line.get_ydata()) == [0.0, 1e-9, 0.0, 0.0]
    (zero_marks,) = [line for line in line_ax.lines if line.get_marker() == "v"]
    assert list(zero_marks.get_xdata()) == [1, 3, 4] and list(zero_marks.get_ydata()) == [0.0, 0.0, 0.0]
    assert viz.plot_grad_norms(history[1:2] * 2).axes[0].get_yscale() == "log"  # no zero, plain log scale
    long = viz.plot_grad_norms([{"W0": 0.0, "W1": 1.0}] * 500)  # a dead layer for 500 epochs: a dozen marks
    (marks,) = [line for line in long.axes[1].lines if line.get_marker() == "v"]
    assert len(marks.get_xdata()) == 12
    assert (marks.get_xdata()[0], marks.get_xdata()[-1]) == (1, 500)


def _scheduler(make):
    W = Tensor(np.zeros(2), requires_grad=True)
    return make(optim.SGD([W], lr=0.2))


@pytest.mark.parametrize("make, closed_form", [
    (lambda opt: optim.InverseTimeDecay(opt, decay_rate=1.0), lambda e: 0.2 / (1 + e)),
    (lambda opt: optim.ExponentialDecay(opt, base=0.9), lambda e: 0.2 * 0.9**e),
    (lambda opt: optim.InverseSqrtDecay(opt, k=1.0), lambda e: 0.2 / np.sqrt(max(e, 1))),
    (lambda opt: optim.StepDecay(opt, step_size=3, gamma=0.5), lambda e: 0.2 * 0.5 ** (e // 3)),
    (lambda opt: optim.LambdaLR(opt, lambda e: 1 - e / 20), lambda e: 0.2 * (1 - e / 20)),
], ids=["InverseTimeDecay", "ExponentialDecay", "InverseSqrtDecay", "StepDecay", "LambdaLR"])
def test_plot_lr_schedule_reads_a_scheduler_of_optim_without_stepping_it(make, closed_form):
    scheduler = _scheduler(make)
    scheduler.step()
    fig = viz.plot_lr_schedule(scheduler, 10)
    (line,) = fig.axes[0].lines
    assert np.allclose(line.get_ydata(), [closed_form(e) for e in range(10)])
    assert scheduler.epoch == 1 and scheduler.get_last_lr() == pytest.approx([closed_form(1)])  # left as it was
    with pytest.raises(ValueError, match=rf"give epochs=\.\.\. .*the scheduler {type(scheduler).__name__}"):
        viz.plot_lr_schedule(scheduler)


def test_plot_lr_schedule_compares_schedulers_and_param_groups():
    W, b = (Tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    opt = optim.SGD([{"params": [W]}, {"params": [b], "lr": 0.02}], lr=0.2)
    fig = viz.plot_lr_schedule({"step": optim.StepDecay(opt, step_size=2), "list": [0.1] * 6}, 6)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["step, group 0", "step, group 1", "list"]
    assert np.allclose(ax.lines[1].get_ydata(), [0.02, 0.02, 0.01, 0.01, 0.005, 0.005])


def test_a_train_error_below_the_base_error_is_explained():
    text = viz.explain(0.0, 0.05, base_error=0.15)
    assert "avoidable bias -15.0% (train error below the base error" in text
    assert "train error below the base error" not in viz.explain(0.15, 0.16, base_error=0.15)  # 0 is not below
    fig = viz.plot_learning_curves([1.0, 0.5], train_accuracy=[0.9, 1.0], dev_accuracy=[0.8, 0.95], base_error=0.15)
    assert "train error below the base error" in fig.diagnosis


def test_ewma_matches_the_notes_formula():
    # v1 = 0.5*1 = 0.5, v2 = 0.5*0.5 + 0.5*2 = 1.25, v3 = 0.625 + 1.5 = 2.125
    assert np.allclose(viz.ewma([1.0, 2.0, 3.0], beta=0.5, bias_correction=False), [0.5, 1.25, 2.125])
    # bias-corrected: v_t / (1 - 0.5^t)
    assert np.allclose(viz.ewma([1.0, 2.0, 3.0], beta=0.5), [1.0, 1.25 / 0.75, 2.125 / 0.875])
    assert np.allclose(viz.ewma(np.full(50, 7.0), beta=0.98), 7.0)  # correction removes the start-up bias
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        viz.ewma([1.0], beta=1.0)


def test_raw_and_smoothed_curves(tmp_path):
    rng = np.random.default_rng(0)
    noisy = np.linspace(2, 0.2, 200) + rng.normal(0, 0.3, 200)
    fig = viz.plot_smoothed(noisy, beta=0.9, path=tmp_path / "smooth.png")
    check_png(tmp_path / "smooth.png")
    raw, smooth = fig.axes[0].lines
    assert np.allclose(smooth.get_ydata(), viz.ewma(noisy, 0.9))
    assert np.std(np.diff(smooth.get_ydata())) < np.std(np.diff(raw.get_ydata())) / 3
    given = viz.plot_smoothed(noisy, smoothed=np.zeros(200))
    assert np.all(given.axes[0].lines[1].get_ydata() == 0)


def test_decision_boundary_of_a_2d_classifier(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    seen = []

    def predict(points):
        seen.append(points.shape)
        return Tensor((points[:, 0] * points[:, 1] > 0).astype(np.float32))  # a Tensor of 0/1

    fig = viz.plot_decision_boundary(predict, X, y, resolution=50, path=tmp_path / "boundary.png")
    check_png(tmp_path / "boundary.png")
    assert seen == [(2500, 2)]
    (ax,) = fig.axes
    assert len(ax.collections) >= 2  # the filled regions and the points
    probabilities = viz.plot_decision_boundary(lambda p: 1 / (1 + np.exp(-p[:, :1])), X, y, resolution=20)
    assert probabilities.axes
    scores = viz.plot_decision_boundary(lambda p: np.stack([p[:, 0], -p[:, 0], p[:, 1]], axis=1), X,
                                        np.eye(3)[rng.integers(0, 3, 100)], resolution=20)
    assert scores.axes
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        viz.plot_decision_boundary(predict, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match=r"predict returned 3 values for 400 points"):
        viz.plot_decision_boundary(lambda p: np.zeros(3), X, y, resolution=20)


def test_figures_display_in_jupyter_as_png():
    fig = viz.plot_smoothed([3.0, 2.0, 1.0])
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
