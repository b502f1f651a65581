"""The README's tables of the committed real-image runs, printed as Markdown from the run folders.

Reads `results/mendeley-distinct/<run>/results.csv` and `<run>/analysis/analysis.json` (made by
`ecgkeras reproduce` and `ecgkeras analyze`, commands in results/README.md) and prints: every
model's accuracy and macro F1 per run, the verdicts on the study's claims (correlated t-test
across folds and seeds), and how far the seed moves each model's 5-fold mean.

    python tools/readme_results.py
"""
import json
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from pathlib import Path

import pandas as pd

from ecgkeras.analyze import pair_verdict, seed_table
from ecgkeras.experiment import read_results, summarize
from ecgkeras.models import MODEL_SPECS

ROOT = Path(__file__).resolve().parent.parent / "results" / "mendeley-distinct"
RUNS = {"naive, 12 leads": "naive-12-leads", "leak-free, 12 leads": "leak-free-12-leads-5-seeds",
        "naive, lead II": "naive-lead-II", "leak-free, lead II": "leak-free-lead-II-5-seeds"}
CLAIMS = {"Hybrid 1 beats the 2D-CNN (study)": ("Hybrid 1", "2D-CNN", "better"),
          "Hybrid 2 adds nothing to Hybrid 1 (study)": ("Hybrid 1", "Hybrid 2", "not worse"),
          "Hybrid 2 beats the 2D-CNN (chapter 10)": ("Hybrid 2", "2D-CNN", "better")}


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
print(markdown(pd.DataFrame(models, index=pd.Index(index, name="model"))), end="\n\n")

claims = {}
for title, analysis in analyses.items():
    cells = []
    for a, b, direction in CLAIMS.values():
        verdict, p_holds = pair_verdict(analysis, a, b, direction)
        seeds = seed_table(analysis, a, b).iloc[:-1]
        spread = (f", seeds {seeds['difference'].min():+.3f} to {seeds['difference'].max():+.3f}, bootstrap p "
                  f"{seeds['p'].min():.3f}-{seeds['p'].max():.3f}" if len(seeds) > 1
                  else f", bootstrap p {seeds['p'].iloc[0]:.3f}")
        cells.append(f"**{verdict}** (P {p_holds:.2f}); {seeds['difference'].mean():+.3f}{spread}")
    claims[title] = cells
print(markdown(pd.DataFrame(claims, index=pd.Index(list(CLAIMS), name="claim"))), end="\n\n")

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
    print(markdown(spread), end="\n\n")
