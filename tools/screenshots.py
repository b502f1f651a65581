"""PNG screenshots of the rendered book, for the README and reviews: `make screenshots`.

Usage: python tools/screenshots.py [--out docs/screenshots] [--html _build/html] [--root PAGE]
                                   [--tables PAGE] [--figures PAGE] [--math PAGE] [--launch PAGE]

Pages of a built book (`make book-test` or `make book`), each in a 1280x900 viewport (1280 px
wide: the window of tests/browser, whose test_blocks_fit_the_column checks that every code block
and table fits at that width) of Debian's headless chromium with no network:
  intro.png    the root page of _toc.yml, from the top;
  tables.png   a table-heavy chapter (default notebooks/12_study_reproduced, else
               notebooks/07_hybrid_fusion, else the chapter with the most tables), scrolled to
               its first table with the code above it;
  figures.png  a figure-heavy chapter (default notebooks/09_complementary_domains, else the
               chapter with the most images), scrolled to its first figure;
  math.png     a math chapter (default notebooks/10_is_the_gain_real, else the chapter with the
               most formulas), scrolled to its first displayed formula with the text above it;
  launch.png   a chapter (default: the first one) with its launch menu open (Colab).
A page named but not in the build is an error; a default page missing falls back as above.
PNGs over 300 KB are reduced to a 256-colour palette (text and plots stay sharp).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

MAX_BYTES = 300_000
HEADER_PX = 80  # the theme's sticky header, which covers the top of the viewport
CONTEXT_PX = 150  # what is shown above the table, figure or formula

# What each kind of screenshot shows: its default pages, and what is counted and scrolled to.
ARTICLE_JS = 'document.querySelector("article.bd-article") || document.querySelector("article") || document.body'
KINDS = {
    "tables": (("notebooks/12_study_reproduced", "notebooks/07_hybrid_fusion"), "table"),
    "figures": (("notebooks/09_complementary_domains",), "figure, img"),
    # Typeset display math, else any typeset formula, else (no MathJax) the TeX source.
    "math": (("notebooks/10_is_the_gain_real",), 'mjx-container[display="true"], mjx-container, .math'),
}

# How many elements of the selector the article has.
_COUNT_JS = f"return ({ARTICLE_JS}).querySelectorAll(arguments[0]).length;"

# The page offset of the first element of the selector in the article (the first selector of a
# list that has one), or null.
_FIRST_TOP_JS = f"""
const article = {ARTICLE_JS};
for (const selector of arguments[0].split(/,\s*/)) {{
  const element = article.querySelector(selector);
  if (element) return element.getBoundingClientRect().top + window.scrollY;
}}
return null;
"""


def _save(png: bytes, path: Path) -> int:
    if len(png) > MAX_BYTES:
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB")
        buffer = io.BytesIO()
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
        png = buffer.getvalue()
    path.write_bytes(png)
    return len(png)


def _pick(kind: str, named: str | None, chapters: list[str], driver, base: str, bb) -> str:
    """The page of a kind of screenshot: the one named, a default page, or the chapter that has
    the most of what the kind shows."""
    if named:
        if not (bb.HTML / f"{named}.html").is_file():
            raise SystemExit(f"screenshots: {named}.html is not in {bb.HTML}")
        return named
    defaults, selector = KINDS[kind]
    for page in defaults:
        if page in chapters:
            return page
    counts = {}
    for page in chapters:
        bb.open_page(driver, f"{base}{page}.html")
        counts[page] = driver.execute_script(_COUNT_JS, selector)
    page = max(chapters, key=lambda name: counts[name])
    if not counts[page]:
        raise SystemExit(f"screenshots: no chapter has a {selector}")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--html", type=Path, default=None, help="the built book (default _build/html)")
    parser.add_argument("--root", help="the intro page (default: the root of _toc.yml)")
    parser.add_argument("--tables", help="a table-heavy chapter")
    parser.add_argument("--figures", help="a figure-heavy chapter")
    parser.add_argument("--math", help="a chapter with math")
    parser.add_argument("--launch", help="a chapter whose launch menu is shown")
    args = parser.parse_args(argv)
    if args.html is not None:
        os.environ["ECGKERAS_BOOK_HTML"] = str(args.html.resolve())

    import book_browser as bb

    missing = bb.missing_browser()
    if missing:
        print(f"screenshots: {missing}", file=sys.stderr)
        return 1
    if not (bb.HTML / "index.html").is_file():
        print(f"screenshots: no book at {bb.HTML}: run make book-test first", file=sys.stderr)
        return 1
    toc = [page for page in bb.toc_pages() if (bb.HTML / f"{page}.html").is_file()]
    chapters = [page for page in toc if page.startswith("notebooks/")]
    args.out.mkdir(parents=True, exist_ok=True)

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with bb.serve(bb.HTML) as base:
        driver = bb.make_driver()
        try:
            width = driver.execute_script("return window.innerWidth")
            assert width == bb.WINDOW[0], f"the viewport is {width} px wide, not {bb.WINDOW[0]}"

            def shoot(page: str, name: str, scroll_y: float = 0) -> None:
                driver.execute_script("window.scrollTo(0, arguments[0]);", scroll_y)
                driver.execute_script("return new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300)));")
                size = _save(driver.get_screenshot_as_png(), args.out / name)
                print(f"{args.out / name}: {page} ({size // 1000} KB)")

            root = args.root or toc[0]
            bb.open_page(driver, f"{base}{root}.html")
            shoot(root, "intro.png")

            for kind in KINDS:
                page = _pick(kind, getattr(args, kind), chapters, driver, base, bb)
                bb.open_page(driver, f"{base}{page}.html")
                top = driver.execute_script(_FIRST_TOP_JS, KINDS[kind][1])
                if top is None:
                    print(f"screenshots: {page} has no {KINDS[kind][1]} ({kind}.png)", file=sys.stderr)
                    return 1
                shoot(page, f"{kind}.png", max(0, top - HEADER_PX - CONTEXT_PX))

            launch = args.launch or chapters[0]
            bb.open_page(driver, f"{base}{launch}.html")
            button = driver.find_element(By.CSS_SELECTOR, ".dropdown-launch-buttons button")
            button.click()
            WebDriverWait(driver, bb.TIMEOUT_S).until(
                ec.visibility_of_element_located((By.CSS_SELECTOR, ".dropdown-launch-buttons .dropdown-menu a")))
            shoot(launch, "launch.png")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
