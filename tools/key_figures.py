"""Copy each chapter's key figure out of its committed outputs, and write the page that shows them.

No notebook is executed or edited. For every chapter in `_toc.yml`, KEY_FIGURES below names one
code cell by a piece of its source (unique in that notebook, so the choice survives
re-execution and small edits around it) and which of its PNG outputs to take. The tool writes
that PNG to `book/figures/<chapter>.png` (downscaled with Pillow if it is larger than
--max-kb), then writes `book/figures.md`: one section per figure, with the caption below and a
link to the chapter. Chapters without a chosen cell, or whose cell has no PNG output yet (not
executed), are skipped with a note.

Usage: python tools/key_figures.py [--toc _toc.yml] [--max-kb 200] [--check]
  --check   write nothing; report what would be written (exit 1 if a chosen cell is missing or
            ambiguous)
Edit the captions here, not in book/figures.md: the page is regenerated.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
from pathlib import Path

import nbformat
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

CC_BY = ("Derived from the ECG images of Khan and Hussain {cite}`khan2021ecgimages`, "
         "licensed CC BY 4.0.")

# chapter (its _toc.yml entry) -> the cell (a unique piece of its source), which PNG output of
# it (0 = first), the caption (one or two sentences: what the figure shows) and whether the
# figure shows the real Mendeley data (then the CC BY 4.0 attribution is added).
KEY_FIGURES = {
    "notebooks/01_paper_ecg_to_signal": {
        "cell": 'report = digitize_report(samples["Normal"])',
        "output": 0,
        "alt": "Twelve leads and a rhythm strip in millivolts, digitized from a photographed report",
        "caption": "A photographed paper report (class Normal) read back as 12 leads in millivolts and "
                   "a 10 s rhythm strip by the book's digitizer, which tracks the trace inside each "
                   "lead's box instead of averaging the whole page.",
        "real": True,
    },
    "notebooks/02_three_views": {
        "cell": "plot_views(views, index, leads=leads_to_show",
        "output": 0,
        "alt": "One synthetic ECG, leads II and V2, as a signal, a scalogram and a spectrum",
        "caption": "The same synthetic ECG (class Normal, leads II and V2) in the study's three domains: "
                   "the signal over time, the CWT scalogram (frequency against time) and the FFT "
                   "magnitude spectrum (time gone).",
        "real": False,
    },
    "notebooks/03_duplicates_splits_balance": {
        "cell": 'title="The naive protocol grades models on ECGs they have seen"',
        "output": 0,
        "alt": "Bar chart: macro F1 of two classifiers under the naive and the leak-free protocol",
        "caption": "The same two classifiers scored under the naive protocol (random split of files, "
                   "copies of an ECG on both sides) and the leak-free one (group-aware split), on the "
                   "real release with its duplicates: the gap is what the test set leaked, not what "
                   "the models learned.",
        "real": True,
    },
    "notebooks/04_time_1d_cnn": {
        "cell": 'title="1D-CNN, test fold"',
        "output": 0,
        "alt": "Confusion matrix of the 1D-CNN on the test fold",
        "caption": "Confusion matrix of the 1D-CNN on the 12-lead time signal (synthetic data, one "
                   "leak-free test fold): rows are true classes, the diagonal is each class's recall.",
        "real": False,
    },
    "notebooks/05_scalogram_2d_cnn": {
        "cell": 'title="2D-CNN, test fold"',
        "output": 0,
        "alt": "Confusion matrix of the 2D-CNN on the test fold",
        "caption": "Confusion matrix of the 2D-CNN on the scalograms of the same ECGs and fold as "
                   "chapter 4: set it beside the 1D-CNN's to see which classes each view finds.",
        "real": False,
    },
    "notebooks/06_spectrum_transformer": {
        "cell": "from ecgkeras.plot import plot_attention_map",
        "output": 0,
        "alt": "Four attention maps, one per class, of the first Transformer block over frequency tokens",
        "caption": "The first attention layer of the CNN-Transformer, averaged over heads and over the "
                   "test ECGs of each class: which frequency band (token) each band reads. Bright "
                   "columns are bands that every query consults; maps that look alike across classes "
                   "mean a fixed re-weighting of the bands rather than input-dependent attention.",
        "real": False,
    },
    "notebooks/07_hybrid_fusion": {
        "cell": 'plot_summary(published["leak-free, 12 leads"])',
        "output": 0,
        "alt": "Bar chart: accuracy and macro F1 of the seven models on the real images, leak-free",
        "caption": "The seven models on the real images under the leak-free protocol (12 leads, "
                   "5 group-aware folds; bars are means, whiskers the spread over folds; dashed: "
                   "always answering the largest class). Hybrid 1 does not clearly beat the 2D-CNN; "
                   "Hybrid 2 scores highest.",
        "real": True,
    },
    "notebooks/08_beyond_concatenation": {
        "cell": "from ecgkeras.plot import plot_attention_weights",
        "output": 0,
        "alt": "Bar chart: attention fusion's mean weight on each view, per class",
        "caption": "Attention fusion learns, ECG by ECG, how much to trust each view: its mean weights "
                   "on the time, scalogram and spectrum features for the test ECGs of each class "
                   "(synthetic data; dashed line: equal trust).",
        "real": False,
    },
    "notebooks/09_complementary_domains": {
        "cell": 'plot_domain_similarity(fold_means(per_fold["leak-free, 12 leads"]))',
        "output": 0,
        "alt": "Heat maps of four overlap measures between the three domains' learned features",
        "caption": "How much the learned features of two domains overlap, on the real images "
                   "(leak-free): mean r, mean |r|, mutual information and linear CKA, each with its "
                   "chance value from shuffled pairings in brackets, one row per measure, for the "
                   "unimodal models (left) and the branches of Hybrid 2 (right).",
        "real": True,
    },
    "notebooks/10_is_the_gain_real": {
        "cell": 'plot_seed_intervals(results["leak-free, 12 leads"], KEY_PAIRS)',
        "output": 0,
        "alt": "Each seed's bootstrap interval of three model comparisons beside the correlated t-test",
        "caption": "What one run hides: the study's key comparisons on the real images (leak-free, 12 "
                   "leads), each seed's run with its 95 % paired-bootstrap interval (thin lines) and, "
                   "at the bottom, the correlated t-test over all folds and seeds (thick line); the "
                   "shaded band is the region of practical equivalence (ROPE, ±1 point).",
        "real": True,
    },
    "notebooks/11_what_models_look_at": {
        "cell": "def show_maps(model_maps, title):",
        "output": 0,
        "alt": "Saliency, integrated gradients and Grad-CAM of one ECG with ST elevation",
        "caption": "The known-answer check: saliency, integrated gradients and Grad-CAM of a trained "
                   "1D-CNN for one synthetic ECG with ST elevation (green bars mark the ST segments, "
                   "where the evidence lies).",
        "real": False,
    },
    "notebooks/12_study_reproduced": {
        "cell": "plot_runs(published, metric=metric)",
        "output": 0,
        "alt": "Accuracy of the seven models on the real images under both protocols, 12 leads and lead II",
        "caption": "The study reproduced: accuracy of every model on the real images, mean and spread over "
                   "5 folds (x 5 seeds leak-free), under the naive protocol (copies of training ECGs in the test "
                   "folds) and the "
                   "leak-free one, with 12 leads and with lead II alone.",
        "real": True,
    },
}

PAGE_HEAD = """\
# Key figures

<!-- Generated by tools/key_figures.py from the chapters' committed outputs: edit the captions
there, then run `python tools/key_figures.py`. -->

One figure per chapter, the one that carries the chapter's main result, copied from the outputs
the book shows (full mode). Use them to review a chapter at a glance, or on a slide: each links
to its chapter, where the figure is made, explained and questioned. Figures made from the real
ECG images say so and carry the data set's CC BY 4.0 attribution; the others come from the
book's synthetic ECGs.
"""


def toc_chapters(toc_path: Path) -> list[str]:
    """The files listed in a Jupyter Book _toc.yml, in order (root first, then parts/chapters/sections)."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]] if "root" in toc else []

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [str(Path(f).with_suffix("")) for f in files]


def find_png(nb, choice: dict) -> tuple[bytes | None, str]:
    """The chosen PNG of a notebook, or None and why not."""
    cells = [cell for cell in nb.cells if cell.cell_type == "code" and choice["cell"] in cell.source]
    if len(cells) != 1:
        raise LookupError(f"{len(cells)} code cells contain {choice['cell']!r} (need exactly 1)")
    pngs = [output["data"]["image/png"] for output in cells[0].get("outputs", [])
            if "image/png" in output.get("data", {})]
    if len(pngs) <= choice["output"]:
        return None, f"the chosen cell has {len(pngs)} PNG outputs (not executed yet?)"
    data = pngs[choice["output"]]
    return base64.b64decode(data if isinstance(data, str) else "".join(data)), ""


def shrink(png: bytes, max_bytes: int) -> tuple[bytes, str]:
    """The PNG itself if small enough, else a palette (256 colours) and/or smaller version."""
    if len(png) <= max_bytes:
        return png, ""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = 1.0
    while True:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        candidate = image.resize(size, Image.LANCZOS) if scale < 1 else image
        buffer = io.BytesIO()
        candidate.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
        if buffer.tell() <= max_bytes or scale < 0.3:
            return buffer.getvalue(), f"palette, {size[0]} x {size[1]}"
        scale *= 0.85


def title_of(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "(untitled)"


def page_section(chapter: str, title: str, choice: dict) -> str:
    caption = choice["caption"]
    if choice["real"]:
        caption += " " + CC_BY
    name = Path(chapter).name
    return f"""
## {title}

```{{figure}} figures/{name}.png
:name: key-figure-{name.replace("_", "-")}
:alt: {choice["alt"]}

{caption} From {{doc}}`/{chapter}`.
```
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml")
    parser.add_argument("--max-kb", type=int, default=200)
    parser.add_argument("--check", action="store_true", help="write nothing, report what would be written")
    args = parser.parse_args(argv)

    out_dir = ROOT / "book" / "figures"
    sections, failed = [], False
    for chapter in toc_chapters(args.toc):
        path = ROOT / f"{chapter}.ipynb"
        if not path.exists():
            continue  # a markdown page, not a chapter notebook
        choice = KEY_FIGURES.get(chapter)
        if choice is None:
            print(f"skipped {chapter}: no key figure chosen yet (add it to KEY_FIGURES)")
            continue
        nb = nbformat.read(path, as_version=4)
        try:
            png, why = find_png(nb, choice)
        except LookupError as error:
            print(f"ERROR {chapter}: {error}")
            failed = True
            continue
        if png is None:
            print(f"skipped {chapter}: {why}")
            continue
        png, note = shrink(png, args.max_kb * 1024)
        target = out_dir / f"{Path(chapter).name}.png"
        if not args.check:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_bytes(png)
        width, height = Image.open(io.BytesIO(png)).size
        print(f"{'would write' if args.check else 'wrote'} {target.relative_to(ROOT)}: "
              f"{width} x {height}, {len(png) / 1024:.0f} KB{f' ({note})' if note else ''}"
              f"{', real data (CC BY 4.0)' if choice['real'] else ''}")
        sections.append(page_section(chapter, title_of(nb), choice))

    page = ROOT / "book" / "figures.md"
    if not args.check:
        page.write_text(PAGE_HEAD + "".join(sections))
    print(f"{'would write' if args.check else 'wrote'} {page.relative_to(ROOT)} with {len(sections)} figures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
