"""PNG screenshots of the rendered book, for the README and reviews: `make screenshots`.

Usage: python tools/screenshots.py [--out docs/screenshots] [--html _build/html]
                                   [--root PAGE] [--math PAGE] [--launch PAGE]

Three pages of a built book (`make book-test` or `make book`), each in a 1280x900 viewport of
Debian's headless chromium with no network (the same set-up as tests/browser):
  intro.png    the root page of _toc.yml, from the top;
  math.png     a chapter with math and figures (default: the last chapter in the toc that has
               both), scrolled to its first figure with a typeset formula just above it;
  launch.png   a chapter (default: the first one) with its launch menu open (Colab).
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

# The top of the paragraph of the first typeset formula at most 600 px above a content figure
# (null if none): the screenshot starts there.
_FIGURE_WITH_MATH_JS = """
const article = document.querySelector("article") || document.querySelector("main") || document.body;
const top = (e) => e.getBoundingClientRect().top + window.scrollY;
const maths = [...article.querySelectorAll("mjx-container")]
  .map((m) => top(m.closest("p, li, div.math, dd, td") || m));
for (const img of article.querySelectorAll("img")) {
  if (img.closest(".dropdown, header, nav")) continue;
  const y = top(img);
  const above = maths.filter((m) => m < y && m > y - 600);
  if (above.length) return Math.min(...above);
}
return null;
"""

_HAS_MATH_AND_FIGURES_JS = """
const article = document.querySelector("article") || document.body;
return article.querySelectorAll("mjx-container").length > 0
  && [...article.querySelectorAll("img")].some((i) => !i.closest(".dropdown, header, nav"));
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--html", type=Path, default=None, help="the built book (default _build/html)")
    parser.add_argument("--root", help="the intro page (default: the root of _toc.yml)")
    parser.add_argument("--math", help="a chapter with math and figures")
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
            def shoot(page: str, name: str, scroll_y: float = 0) -> None:
                driver.execute_script("window.scrollTo(0, arguments[0]);", scroll_y)
                driver.execute_script("return new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300)));")
                size = _save(driver.get_screenshot_as_png(), args.out / name)
                print(f"{args.out / name}: {page} ({size // 1000} KB)")

            root = args.root or toc[0]
            bb.open_page(driver, f"{base}{root}.html")
            shoot(root, "intro.png")

            math_page, math_y = args.math, None
            for page in ([math_page] if math_page else reversed(chapters)):
                bb.open_page(driver, f"{base}{page}.html")
                if math_page or driver.execute_script(_HAS_MATH_AND_FIGURES_JS):
                    math_page, math_y = page, driver.execute_script(_FIGURE_WITH_MATH_JS)
                    break
            if math_page is None:
                print("screenshots: no chapter with math and figures", file=sys.stderr)
                return 1
            shoot(math_page, "math.png", max(0, (math_y or 0) - 80))  # 80: the sticky header

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
