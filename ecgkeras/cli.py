"""The ``ecgkeras`` command line.

    ecgkeras digitize PATH... --out signals.npz   report images -> signals (chapter 1)
    ecgkeras duplicates PATH                      files, distinct images, duplicates (chapter 3)
    ecgkeras bench views                          scalograms per second vs a naive pywt loop
    ecgkeras bench digitize [PATH...]             report images digitized per second
    ecgkeras reproduce --data synthetic --out DIR every model, fold and seed (chapters 4-8, 12)
    ecgkeras analyze DIR                          complementarity and significance (chapters 9-10)
    ecgkeras score FILE.py[:CLASS]                score an assignment submission (assignments/)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _digitize(args) -> int:
    from ecgkeras.data.digitize import digitize_paths

    missing = [str(p) for p in args.paths if not Path(p).exists()]
    if missing:
        raise SystemExit(f"ecgkeras digitize: no such file or folder: {', '.join(missing)}")
    result = digitize_paths(args.paths, progress=True)
    result.save(args.out)
    print(f"wrote {len(result.files)} signals to {args.out}")
    if result.skipped:
        print(f"skipped {len(result.skipped)} file(s):")
        for file, reason in result.skipped:
            print(f"  {file}: {reason}")
    return 0


def _duplicates(args) -> int:
    from ecgkeras.data.mendeley import index_folder

    print(index_folder(args.path).report())
    return 0


def _bench(args) -> int:
    if args.what == "views":
        from ecgkeras.bench import bench_views, format_bench

        print(format_bench(bench_views(n=args.n)))
    else:
        from ecgkeras.data.digitize import benchmark_digitize

        paths = args.paths or [_sample_images()]
        result = benchmark_digitize(paths)
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def _reproduce(args) -> int:
    if args.quick:
        os.environ["ECGKERAS_QUICK"] = "1"
    import resource
    import time

    from ecgkeras.experiment import reproduce, summary_markdown

    start = time.perf_counter()
    results = reproduce(args.data, protocol=args.protocol, folds=args.folds, seeds=args.seeds,
                        leads=args.leads, models=args.models, out=args.out, n_synthetic=args.n)
    print(summary_markdown(results))
    print(f"tidy results: {Path(args.out) / 'results.csv'}; figure: {Path(args.out) / 'summary.png'}")
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux
    print(f"wall time {time.perf_counter() - start:.0f} s (runs skipped on resume not counted), "
          f"peak memory {peak_gib:.2f} GiB")
    return 0


def _analyze(args) -> int:
    from ecgkeras.analyze import analysis_markdown, analyze

    if not Path(args.folder).is_dir():
        raise FileNotFoundError(f"no folder {args.folder}; give the --out folder of `ecgkeras reproduce`")
    result = analyze(args.folder, out=args.out)
    print(analysis_markdown(result))
    print(f"wrote analysis.json and figures to {args.out or Path(args.folder) / 'analysis'}")
    return 0


def _score(args) -> int:
    from ecgkeras.assignment import LEADERBOARD_HEADER, leaderboard_row, load_submission, score_submission

    model_class = load_submission(args.submission)
    print(f"scoring {model_class.__name__} on {args.data} (seed {args.seed}): fit on the training split, "
          "scored on a held-out, group-aware test split", flush=True)
    row = score_submission(model_class, data=args.data, n=args.n, seed=args.seed)
    print(LEADERBOARD_HEADER)
    print(leaderboard_row(row))
    return 0


def _sample_images() -> str:
    """Render a few synthetic reports to a temporary folder when no images are given."""
    import tempfile

    from ecgkeras.data.render import render_dataset_images
    from ecgkeras.data.synthetic import make_signals

    folder = Path(tempfile.mkdtemp(prefix="ecgkeras-bench-"))
    signals, labels = make_signals(8, seed=0)
    render_dataset_images(signals, labels, folder, width=2213, height=1572)
    print(f"no images given: digitizing 8 synthetic reports (2213 x 1572) in {folder}")
    return str(folder)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecgkeras", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    digitize = commands.add_parser("digitize", help="report images -> signals (.npz)")
    digitize.add_argument("paths", nargs="+", help="images or folders (class = folder name)")
    digitize.add_argument("--out", required=True, help="output .npz file")
    digitize.set_defaults(run=_digitize)

    duplicates = commands.add_parser("duplicates", help="report exact and re-encoded duplicates")
    duplicates.add_argument("path", help="folder with class folders (Mendeley layout)")
    duplicates.set_defaults(run=_duplicates)

    bench = commands.add_parser("bench", help="print speed figures")
    bench.add_argument("what", choices=("views", "digitize"))
    bench.add_argument("paths", nargs="*", help="images for `bench digitize`")
    bench.add_argument("--n", type=int, default=500, help="signals for `bench views`")
    bench.set_defaults(run=_bench)

    reproduce = commands.add_parser("reproduce", help="train and test every model on every fold and seed")
    reproduce.add_argument("--data", default="synthetic",
                           help="'synthetic' or 'mendeley:PATH' (folder of report images)")
    reproduce.add_argument("--protocol", choices=("leak-free", "naive"), default="leak-free")
    reproduce.add_argument("--folds", type=int, default=5, help="k of k-fold cross-validation")
    reproduce.add_argument("--seeds", type=int, default=1, help="repetitions with seeds 0..N-1")
    reproduce.add_argument("--leads", default="all", help="'all' (12 leads) or one lead, e.g. II")
    reproduce.add_argument("--models", nargs="+", metavar="MODEL",
                           help="a subset, e.g. '1D-CNN' 'Hybrid 1' (default: all seven)")
    reproduce.add_argument("--n", type=int, help="synthetic ECGs (default 160 quick, 800 full)")
    reproduce.add_argument("--quick", action="store_true", help="quick mode: small data, 3 epochs")
    reproduce.add_argument("--out", required=True, help="output folder (a rerun resumes)")
    reproduce.set_defaults(run=_reproduce)

    analyze = commands.add_parser("analyze", help="complementarity and significance of a reproduce folder")
    analyze.add_argument("folder", help="the --out folder of `ecgkeras reproduce`")
    analyze.add_argument("--out", help="where to write (default FOLDER/analysis)")
    analyze.set_defaults(run=_analyze)

    score = commands.add_parser("score", help="score an assignment submission on a held-out split")
    score.add_argument("submission", help="the submission's file, e.g. my_model.py or my_model.py:MyModel")
    score.add_argument("--data", default="synthetic",
                       help="'synthetic' or 'mendeley:PATH' (folder of report images)")
    score.add_argument("--n", type=int, help="synthetic ECGs (default 160 quick, 800 full)")
    score.add_argument("--seed", type=int, default=0, help="seed of the data, the split and the model")
    score.set_defaults(run=_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"ecgkeras {args.command}: error: {err}\n")


if __name__ == "__main__":
    sys.exit(main())
