"""The README's tables of the committed real-image runs, printed as Markdown from the run folders.

Reads `results/mendeley-distinct/<run>/results.csv` and `<run>/analysis/analysis.json` (made by
`ecgkeras reproduce` and `ecgkeras analyze`, commands in results/README.md) and prints: every
model's accuracy and macro F1 per run, the verdicts on the study's claims (correlated t-test
across folds and seeds), and how far the seed moves each model's 5-fold mean.

    python tools/readme_results.py           # print the tables
    python tools/readme_results.py --write   # put them into README.md between its markers
    python tools/readme_results.py --check   # exit 1 if README.md's tables are not these
"""
import json
import os
import re
import sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from pathlib import Path

import pandas as pd

from ecgkeras.analyze import verdicts_table
from ecgkeras.experiment import read_results, summarize
from ecgkeras.models import MODEL_SPECS
from ecgkeras.results import PUBLISHED_RUNS

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "results"
START, END = "<!-- tables of tools/readme_results.py: start -->", "<!-- tables of tools/readme_results.py: end -->"
blocks = []
RUNS = {title: PUBLISHED_RUNS[title] for title in
        ("naive, 12 leads", "leak-free, 12 leads", "naive, lead II", "leak-free, lead II")}


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join([table.index.name or ""] + list(table.columns)) + " |",
             "|---" * (len(table.columns) + 1) + "|"]
    lines += ["| " + " | ".join([str(index)] + [str(v) for v in row]) + " |" for index, row in table.iterrows()]
    return "\n".join(lines)


results = {title: read_results(ROOT / name) for title, name in RUNS.items()}
analyses = {title: json.loads((ROOT / name / "analysis" / "analysis.json").read_text())
            for title, name in RUNS.items()}

models = {}
for title, table in results.items():
    s = summarize(table)
    runs = table.drop_duplicates(["fold", "seed"])
    title = f"{title} ({runs['fold'].nunique()} x {runs['seed'].nunique()})"
    models[title] = [f"{row['accuracy mean']:.3f} ± {row['accuracy sd']:.3f} / {row['macro_f1 mean']:.3f}"
                     if model != "Majority class" else f"{row['accuracy mean']:.3f}"
                     for model, row in s.iterrows()]
    index = [m if m != "Majority class" else "always the largest class" for m in s.index]
blocks.append(markdown(pd.DataFrame(models, index=pd.Index(index, name="model"))))

verdicts = verdicts_table(analyses, bootstrap=True).map(
    lambda cell: re.sub(r"^(holds|does not hold|undecided)", r"**\1**", cell))
verdicts.index.name = "claim"
blocks.append(markdown(verdicts))

for title in ("leak-free, 12 leads", "leak-free, lead II"):
    table = results[title]
    scores = table.query("metric == 'accuracy'").pivot_table(index=["model", "seed"], columns="fold",
                                                             values="value")
    per_seed = scores.mean(axis="columns").unstack("seed")
    spread = pd.DataFrame({
        "5-fold mean, lowest to highest seed": [f"{lo:.3f}-{hi:.3f}" for lo, hi in
                                                 zip(per_seed.min(axis=1), per_seed.max(axis=1))],
        "sd between seeds": [f"{sd:.3f}" for sd in per_seed.std(axis=1, ddof=1)],
        "sd between folds": [f"{sd:.3f}" for sd in scores.std(axis=1, ddof=1).groupby("model").mean()]},
        index=pd.Index(per_seed.index, name=f"{title}, accuracy"))
    spread = spread.loc[[model for model in MODEL_SPECS if model in spread.index]]
    blocks.append(markdown(spread))

rows = {}
for title, analysis in analyses.items():
    means = pd.DataFrame(analysis["complementarity_mean"])
    for (source, measure), part in means.groupby(["source", "measure"], sort=False):
        cells = [f"{row.value:.2f} ({row.chance:.2f})" for row in part.itertuples()]
        rows[(title, source, measure)] = " / ".join(cells)
pairs = " / ".join(f"{row.domain_a}-{row.domain_b}" for row in
                   pd.DataFrame(next(iter(analyses.values()))["complementarity_mean"]).drop_duplicates(
                       ["domain_a", "domain_b"]).itertuples())
table = pd.Series(rows).unstack(level=0)
table.index = [f"{source}: {measure.replace('_', ' ')}" for source, measure in table.index]
table.index.name = f"mean over folds and seeds, value (chance); {pairs}"
blocks.append(markdown(table[list(analyses)]))

tables = "\n\n".join(blocks) + "\n"
if len(sys.argv) == 1:
    print(tables, end="")
else:
    readme = (REPO / "README.md").read_text()
    if START not in readme or END not in readme:
        sys.exit(f"README.md lacks the markers {START} and {END}")
    head, rest = readme.split(START, 1)
    updated = head + START + "\n" + tables + END + rest.split(END, 1)[1]
    if sys.argv[1] == "--write":
        (REPO / "README.md").write_text(updated)
    elif updated != readme:
        sys.exit("README.md's result tables differ from the committed runs: python tools/readme_results.py --write")
