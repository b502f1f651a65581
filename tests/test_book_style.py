"""The book style: every figure of the package fits the page's 730 px column unscaled, no text is
smaller than 9 pt, no two labels overlap, and encodings are colour-blind safe.

Each figure is built on small synthetic input and checked as a notebook shows it: the PNG the
inline backend saves (``bbox_inches="tight"`` at the figure's dpi) must be at most 730 px wide.
"""

from __future__ import annotations

import io
import struct

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from ecgkeras import plot  # noqa: E402
from ecgkeras.complementarity import compare_domains, plot_cross_correlations, plot_domain_similarity  # noqa: E402
from ecgkeras.data.dataset import LEAD_NAMES  # noqa: E402
from ecgkeras.experiment import plot_runs, plot_summary  # noqa: E402
from ecgkeras.explain import plot_ecg_attribution, plot_grad_cam  # noqa: E402
from ecgkeras.stats import (  # noqa: E402
    bayesian_comparison,
    paired_bootstrap,
    plot_bootstrap,
    plot_forest,
    plot_posteriors,
)

CLASSES = ("Normal", "Abnormal heartbeat", "Myocardial infarction", "History of MI")
MODELS = ("1D-CNN", "2D-CNN", "CNN-Transformer", "Hybrid 1", "Hybrid 2", "Late fusion", "Attention fusion")
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# Small synthetic inputs -----------------------------------------------------------------------

def _signal(leads: int = 12, samples: int = 250) -> np.ndarray:
    t = np.arange(samples) / 100
    wave = np.sin(2 * np.pi * 1.2 * t)[:, None] * np.linspace(0.5, 1.5, leads)
    return wave + 0.05 * RNG.normal(size=(samples, leads))


def _views():
    signals = _signal()[None].astype(np.float32)
    return {"time": signals, "scalogram": RNG.uniform(size=(1, 64, 64, 12)),
            "spectrum": RNG.uniform(size=(1, 126, 12))}


def _domains(n: int = 60) -> dict:
    latent = RNG.normal(size=(n, 3))
    return {name: latent @ RNG.normal(size=(3, 16)) + RNG.normal(size=(n, 16))
            for name in ("time", "scalogram", "spectrum")}


LABELS = RNG.integers(0, 4, 150)


def _predictions(accuracy: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    predicted = LABELS.copy()
    wrong = rng.uniform(size=len(predicted)) > accuracy
    predicted[wrong] = rng.integers(0, 4, wrong.sum())
    return predicted


def _comparisons(names=("Hybrid 1 - 2D-CNN", "Hybrid 2 - 2D-CNN", "Hybrid 1 - Hybrid 2")) -> dict:
    return {name: bayesian_comparison(LABELS, _predictions(0.75, 2 * k), _predictions(0.7, 2 * k + 1), draws=500,
                                      seed=k) for k, name in enumerate(names)}


def _results(protocol: str = "leak-free", base: float = 0.7) -> pd.DataFrame:
    rows = [dict(data="synthetic", protocol=protocol, leads="all", model=model, fold=fold, seed=0, metric=metric,
                 value={"accuracy": base + 0.01 * k + 0.02 * fold, "macro_f1": base - 0.05 + 0.02 * fold,
                        "majority_baseline": 0.3}[metric])
            for k, model in enumerate(MODELS) for fold in range(3)
            for metric in ("accuracy", "macro_f1", "majority_baseline")]
    return pd.DataFrame(rows)


HISTORY = {"loss": [1.2, 0.8, 0.6, 0.5], "val_loss": [1.1, 0.7, 0.75, 0.9],
           "accuracy": [0.4, 0.6, 0.7, 0.8], "val_accuracy": [0.45, 0.65, 0.6, 0.55]}
MATRIX = np.array([[30, 2, 1, 0], [3, 25, 2, 1], [0, 1, 20, 9], [0, 0, 4, 12]])


def _domain_table(two_sources: bool):
    table = compare_domains(_domains(), shuffles=1)
    if two_sources:
        table = pd.concat([table.assign(source="unimodal models"), table.assign(source="Hybrid 2 branches")])
    return table


# Every figure the package draws, by name ------------------------------------------------------

FIGURES = {
    "plot_image": lambda: plot.plot_image(RNG.integers(0, 255, (300, 420, 3)).astype(np.uint8),
                                          title="A real report: Normal", attribution=True),
    "plot_report_leads": lambda: plot.plot_report_leads(_signal().T, _signal(1, 1000)[:, 0], title="Digitized"),
    "plot_report_leads reference": lambda: plot.plot_report_leads(_signal().T, reference=_signal().T + 0.1,
                                                                  title="Drawn (grey) and recovered (black)"),
    "plot_signal": lambda: plot.plot_signal(_signal(1)[:, 0], title="lead I"),
    "plot_class_counts": lambda: plot.plot_class_counts(
        {"training split before": dict(zip(CLASSES, (284, 233, 239, 172))),
         "after oversampling": dict(zip(CLASSES, (284, 284, 284, 284)))}, title="Class counts"),
    "plot_views": lambda: plot.plot_views(_views(), 0, leads=(1, 7), lead_names=LEAD_NAMES,
                                          scalogram_hz=np.geomspace(40, 1, 64), spectrum_hz=np.linspace(0, 50, 126),
                                          title="Normal"),
    "plot_history": lambda: plot.plot_history(HISTORY, title="Hybrid 1"),
    "plot_confusion_matrix": lambda: plot.plot_confusion_matrix(MATRIX, CLASSES, title="1D-CNN, test fold"),
    "plot_attention_weights": lambda: plot.plot_attention_weights(RNG.dirichlet((2, 3, 1), 40),
                                                                  np.arange(40) % 4, CLASSES, title="Attention"),
    "plot_prediction": lambda: plot.plot_prediction(_signal(), np.array([0.05, 0.1, 0.8, 0.05]), 3, CLASSES),
    "plot_prediction one lead": lambda: plot.plot_prediction(_signal(1), np.array([0.7, 0.1, 0.15, 0.05]), 0,
                                                             CLASSES, lead_names=["II"]),
    "plot_attention_map": lambda: plot.plot_attention_map(RNG.dirichlet(np.ones(50), 50), np.linspace(1, 50, 50),
                                                          title="Normal"),
    "plot_attention_maps": lambda: plot.plot_attention_maps(
        {name: RNG.dirichlet(np.ones(50), 50) for name in CLASSES}, np.linspace(1, 50, 50)),
    "plot_cross_correlations": lambda: plot_cross_correlations(_domains()),
    "plot_domain_similarity": lambda: plot_domain_similarity(_domain_table(False)),
    "plot_domain_similarity two sources": lambda: plot_domain_similarity(_domain_table(True)),
    "plot_bootstrap": lambda: plot_bootstrap(
        {name: paired_bootstrap(LABELS, _predictions(0.75, k), _predictions(0.7, k + 10), n_boot=200)
         for k, name in enumerate(("Hybrid 1 - 2D-CNN", "Attention fusion - 2D-CNN", "Hybrid 1 - Hybrid 2"))}),
    "plot_posteriors": lambda: plot_posteriors(_comparisons(), rope=0.01),
    "plot_posteriors columns=3": lambda: plot_posteriors(_comparisons(), rope=0.01, columns=3),
    "plot_forest": lambda: plot_forest(_comparisons(MODELS[2:]), rope=0.01),
    "plot_ecg_attribution": lambda: plot_ecg_attribution(_signal(), RNG.uniform(size=(250, 12)), title="Saliency"),
    "plot_ecg_attribution one lead": lambda: plot_ecg_attribution(_signal(), RNG.normal(size=(250, 12)), lead=1),
    "plot_ecg_attribution three maps": lambda: plot_ecg_attribution(
        _signal(3), RNG.normal(size=(250, 3)), lead_names=["saliency", "integrated gradients", "Grad-CAM"],
        title="Trained model: what raises P(ST elevation)?"),
    "plot_grad_cam": lambda: plot_grad_cam(RNG.uniform(size=(64, 64, 12)), RNG.uniform(size=(64, 64)), lead=1,
                                           title="Grad-CAM of P(MI)"),
    "plot_summary": lambda: plot_summary(_results()),
    "plot_runs": lambda: plot_runs({"naive, 12 leads": _results("naive", 0.85), "leak-free, 12 leads": _results(),
                                    "naive, lead II": _results("naive", 0.8), "leak-free, lead II": _results()}),
}


def visible_texts(fig) -> list[Text]:
    """Every Text drawn with some content: in visible axes, legends, colour bars and the figure.

    Tick labels count only where matplotlib draws them: ticks inside the axis's view, of axes
    whose axis lines are on.
    """
    fig.draw_without_rendering()  # lays the figure out and makes its ticks, on any canvas
    hidden = {id(artist) for ax in fig.axes if not ax.get_visible() for artist in ax.findobj()}
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            every = {id(label) for tick in [*axis.majorTicks, *axis.minorTicks] for label in (tick.label1, tick.label2)}
            drawn = {id(label) for tick in axis._update_ticks() for label in (tick.label1, tick.label2)}
            hidden |= every if not ax.axison else every - drawn
            if not ax.axison:
                hidden.add(id(axis.label))
    return [text for text in fig.findobj(Text)
            if text.get_visible() and text.get_text().strip() and id(text) not in hidden
            and (text.axes is None or text.axes.get_visible())]


def notebook_png_width(fig) -> int:
    """Width in pixels of the PNG that Jupyter's inline backend saves of ``fig``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    return struct.unpack(">I", buffer.getvalue()[16:20])[0]


def colorbars(fig) -> list:
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


@pytest.fixture(scope="module", params=sorted(FIGURES))
def figure(request):
    fig = FIGURES[request.param]()
    yield request.param, fig
    plt.close(fig)


def test_figure_is_drawn_at_the_size_the_page_shows_it(figure):
    name, fig = figure
    width, _ = fig.get_size_inches()
    assert width <= plot.BOOK_WIDTH_IN, f"{name}: {width:.2f} in wide"
    assert fig.dpi == plot.BOOK_DPI
    assert notebook_png_width(fig) <= round(plot.BOOK_WIDTH_IN * plot.BOOK_DPI), name  # shown unscaled


def test_no_text_is_smaller_than_the_minimum(figure):
    name, fig = figure
    small = [(text.get_text(), text.get_fontsize()) for text in visible_texts(fig)
             if text.get_fontsize() < plot.MIN_FONT_PT]
    assert not small, f"{name}: text under {plot.MIN_FONT_PT} pt: {small[:5]}"


def text_corners(text: Text) -> np.ndarray:
    """The four corners (pixels) of a text's box, turned with the text (slanted tick labels)."""
    box = text.get_window_extent()
    rotation = text.get_rotation()
    if rotation % 90 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    text.set_rotation(0)
    flat = text.get_window_extent()  # the unturned size
    text.set_rotation(rotation)
    angle = np.deg2rad(rotation)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [flat.width / 2, flat.height / 2]
    return np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]) + half @ turn.T


def overlap(a: np.ndarray, b: np.ndarray, tolerance: float = 1.0) -> bool:
    """Whether two convex polygons overlap by more than ``tolerance`` pixels (separating axes)."""
    for polygon in (a, b):
        for edge in np.diff(np.vstack([polygon, polygon[:1]]), axis=0):
            normal = np.array([-edge[1], edge[0]]) / (np.hypot(*edge) or 1)
            pa, pb = a @ normal, b @ normal
            if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= tolerance:
                return False
    return True


def test_no_two_labels_overlap(figure):
    name, fig = figure
    boxes = [(text.get_text(), text_corners(text)) for text in visible_texts(fig)]
    overlapping = [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if overlap(box_a, box_b)]
    assert not overlapping, f"{name}: overlapping texts {overlapping[:5]}"


def test_no_text_is_cut_off_at_the_figure_edge(figure):
    name, fig = figure
    bounds = fig.bbox
    outside = [text.get_text() for text in visible_texts(fig)
               if (box := text.get_window_extent()).x0 < bounds.x0 - 1 or box.x1 > bounds.x1 + 1
               or box.y0 < bounds.y0 - 1 or box.y1 > bounds.y1 + 1]
    assert not outside, f"{name}: text outside the figure {outside[:5]}"


# The style itself ------------------------------------------------------------------------------

def test_the_style_is_defined_in_one_place():
    assert plot.BOOK_WIDTH_IN == 7.3 and plot.BOOK_DPI == 100 and plot.MIN_FONT_PT == 9
    assert plot.FIGURE_WIDTH_IN <= plot.BOOK_WIDTH_IN
    assert plot.PALETTE[:4] == ("#0072B2", "#E69F00", "#009E73", "#D55E00")  # Okabe-Ito
    assert plot.SEQUENTIAL_CMAP == "viridis" and plot.DIVERGING_CMAP == "RdBu_r"
    with plot.book_style():
        assert matplotlib.rcParams["figure.dpi"] == plot.BOOK_DPI
        assert matplotlib.rcParams["xtick.labelsize"] >= plot.MIN_FONT_PT
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == plot.PALETTE[0]
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] != plot.PALETTE[0]  # restored


def test_apply_book_style_sets_the_session():
    with matplotlib.rc_context():
        plot.apply_book_style()
        assert matplotlib.rcParams["legend.fontsize"] == plot.MIN_FONT_PT
        assert matplotlib.rcParams["savefig.dpi"] == plot.BOOK_DPI


def test_book_figure_caps_the_width():
    fig, axes = plot.book_figure(2, 3, height_in=4, width_in=13)
    assert axes.shape == (2, 3)
    assert tuple(fig.get_size_inches()) == pytest.approx((plot.FIGURE_WIDTH_IN, 4))
    assert fig.get_layout_engine() is not None  # constrained layout
    narrow, _ = plot.book_figure(width_in=4)
    assert narrow.get_size_inches()[0] == pytest.approx(4)
    assert plot.book_canvas(3, width_in=20).get_size_inches()[0] == pytest.approx(plot.FIGURE_WIDTH_IN)


def test_enforce_book_fonts_raises_small_text_also_ticks_made_later():
    fig, ax = plt.subplots()
    ax.set_title("tiny", fontsize=5)
    ax.tick_params(labelsize=6)
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(fontsize=4)
    plot.enforce_book_fonts(fig)
    ax.set_xlim(0, 100)  # new ticks, created when the figure is drawn
    assert all(text.get_fontsize() >= plot.MIN_FONT_PT for text in visible_texts(fig))


def test_text_color_reads_on_the_cell():
    assert plot.text_color_on((0.1, 0.0, 0.3)) == "white" and plot.text_color_on((1.0, 0.9, 0.2)) == "black"


# One colour scale where panels are compared ---------------------------------------------------

def test_cross_correlations_share_one_scale_and_one_colour_bar():
    fig = plot_cross_correlations(_domains())
    images = [image for ax in fig.axes for image in ax.images]
    assert len(images) == 3
    assert {image.get_clim() for image in images} == {(-1, 1)}
    assert len({id(image.norm) for image in images}) == 1  # literally one scale
    [bar] = colorbars(fig)
    assert bar.get_ylabel() == "Pearson r"
    assert bar._colorbar.norm is images[0].norm


def test_domain_similarity_compares_sources_on_one_scale_per_measure():
    fig = plot_domain_similarity(_domain_table(True))
    axes = np.array(fig.axes).reshape(4, 2)  # one row per measure, one column per source
    for row in axes:
        assert row[0].images[0].get_clim() == row[1].images[0].get_clim()
        assert [ax.get_title().split(":")[0] for ax in row] == ["unimodal models", "Hybrid 2 branches"]


def test_attention_maps_can_share_one_colour_bar():
    scores = RNG.dirichlet(np.ones(6), 6)
    fig, axes = plot.book_figure(1, 2)
    for ax in axes:
        plot.plot_attention_map(scores, vmin=0, vmax=0.5, ax=ax, colorbar=False)
    assert not colorbars(fig)
    one = plot.plot_attention_map(scores)
    assert len(colorbars(one)) == 1  # the default is unchanged
    several = plot.plot_attention_maps({"a": scores, "b": np.full((6, 6), 1 / 6), "c": scores})
    images = [image for ax in several.axes for image in ax.images]
    assert len(images) == 3 and len({image.get_clim() for image in images}) == 1
    assert len(colorbars(several)) == 1


# Colour-blind-safe encodings ------------------------------------------------------------------

def test_prediction_names_the_true_and_the_predicted_class_not_only_by_colour():
    fig = plot.plot_prediction(_signal(), [0.1, 0.2, 0.6, 0.1], 3, CLASSES)
    bars_axes = fig.axes[-1]
    labels = [tick.get_text() for tick in bars_axes.get_yticklabels()]
    assert labels == ["Normal", "Abnormal heartbeat", "Myocardial infarction (predicted)", "History of MI (true)"]
    bars = bars_axes.patches
    assert bars[2].get_hatch() and not bars[3].get_hatch()  # the wrong prediction is hatched
    assert matplotlib.colors.same_color(bars[3].get_facecolor(), plot.TRUE_COLOR)
    assert matplotlib.colors.same_color(bars[2].get_facecolor(), plot.PREDICTED_COLOR)
    right = plot.plot_prediction(_signal(), [0.1, 0.2, 0.6, 0.1], 2, CLASSES)
    assert "Myocardial infarction (true, predicted)" in [t.get_text() for t in right.axes[-1].get_yticklabels()]


def test_history_tells_training_and_validation_apart_by_line_style():
    fig = plot.plot_history(HISTORY)
    for ax in fig.axes:
        training, validation = ax.lines[:2]
        assert training.get_linestyle() != validation.get_linestyle()
        assert training.get_marker() != validation.get_marker()
    assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["training", "validation"]


def test_confusion_matrix_uses_a_sequential_safe_colormap_and_readable_text():
    fig = plot.plot_confusion_matrix(MATRIX, CLASSES)
    ax = fig.axes[0]
    image = ax.images[0]
    assert image.get_cmap().name == plot.SEQUENTIAL_CMAP
    for text in ax.texts:
        j, i = (round(v) for v in text.get_position())
        cell = image.cmap(image.norm(image.get_array()[i, j]))
        assert text.get_color() == plot.text_color_on(cell)


def test_confusion_matrices_side_by_side_stay_legible():
    """Chapters 7 and 8 draw two matrices into one figure of the book's width."""
    fig, axes = plot.book_figure(1, 2, height_in=4)
    for ax, title in zip(axes, ("Hybrid 1", "Hybrid 2")):
        plot.plot_confusion_matrix(MATRIX, CLASSES, title=title, ax=ax)
    texts = visible_texts(fig)
    assert min(text.get_fontsize() for text in texts) >= plot.MIN_FONT_PT
    boxes = [text_corners(text) for text in texts]
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_forest_names_every_comparison_on_the_axis():
    names = ("Hybrid 1", "Hybrid 2", "Late fusion", "Attention fusion")
    fig = plot_forest(_comparisons(names), rope=0.02)
    [ax] = fig.axes
    assert [tick.get_text() for tick in ax.get_yticklabels()] == list(names)
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # the first comparison on top


def test_posteriors_print_their_numbers_in_the_titles_not_over_the_density():
    comparisons = _comparisons()
    fig = plot_posteriors(comparisons, columns=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    assert all(not ax.texts for ax in visible)
    assert all("HDI" in ax.get_title() and "in ROPE" in ax.get_title() for ax in visible)
    assert visible[0].get_title().startswith("Hybrid 1 - 2D-CNN")
    assert fig.get_size_inches()[0] <= plot.BOOK_WIDTH_IN
    assert len({round(ax.get_position().x0, 2) for ax in visible}) <= 2  # at most two columns
