"""The rendered book in a real browser: every page of the test build (`make book-test`,
_build/html) opened in Debian's headless chromium with no network.

Per page: no console errors, every image loaded, math typeset by a local MathJax (no raw TeX
left visible), every internal link and anchor resolves, no resource from outside 127.0.0.1, and
each chapter has its Colab launch link. Pages come from _toc.yml and from the build itself, so a
new chapter is checked as soon as it is in the toc. One browser session serves all pages.

And each page reads cleanly (page_checks.py has the rules; test_page_checks.py tests them on
small hand-made pages), one test per kind of defect, each failure naming the page and the
elements (tag, code cell, section):
  test_no_markdown_table_as_text   no Markdown table shown as text outside <pre>/<code>;
  test_blocks_fit_the_column       at the 1280 px window, no code, output or table wider than its
                                   box or than the article's column, solutions included;
  test_images_have_captions        every image of a chapter's article in a captioned <figure>;
  test_no_absolute_paths           no /tmp, /home, /root, /work, /Users, ... path (nor this
                                   checkout's or its data's) in the text, code, outputs or alt text;
  test_chapter_starts_with_title   a chapter's article starts with its h1 (no cell before it).
Each page is opened once; everything the tests need is gathered then, so the tests run in any
order.

Run by `make test` (target browser-test, after book-test); `make unit` ignores this folder.
Skips where chromium, chromedriver or the build are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import book_browser as bb
import page_checks as pc

_missing = bb.missing_browser()
if _missing:
    pytest.skip(_missing, allow_module_level=True)
if not (bb.HTML / "index.html").is_file():
    pytest.skip(f"no book at {bb.HTML}: build it first (make book-test)", allow_module_level=True)

CONFIG = bb.book_config()
TOC_PAGES = bb.toc_pages()
PAGES = list(dict.fromkeys(TOC_PAGES + bb.built_pages()))
CHAPTERS = [page for page in PAGES if page.startswith("notebooks/")]

# Console messages that are not the book's fault, each with its reason. Keep it short.
IGNORED_CONSOLE = [
    # Sphinx 7.4 (jupyter-book 1.x pins sphinx~=7.0) writes an inline script that an extension
    # registers after the builder started twice (StandaloneHTMLBuilder.prepare_writing re-adds
    # registry scripts as filename '' next to the builder's None, so they are not deduplicated).
    # sphinx-thebe's `const THEBE_JS_URL = ...; const thebe_selector...` is such a script: its
    # second copy throws and does nothing, the first copy defined everything. Harmless.
    (re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
     "sphinx-thebe's config script written twice by Sphinx 7.4 (upstream; the first copy works)"),
    # Chrome asks every site for /favicon.ico by itself (not the page); the book sets no favicon.
    (re.compile(r"/favicon\.ico - Failed to load resource"), "Chrome's own favicon request"),
]

_MATHJAX_SRC_JS = "const s = document.querySelector(arguments[0]); return s ? s.src : null;"

# Everything one page shows, gathered in the browser in one call.
_SNAPSHOT_JS = r"""
const base = arguments[0];
const skip = "pre, code, script, style, textarea, .highlight, mjx-container, mjx-assistive-mml";
const raw = [];  // visible raw TeX delimiters: math that was not typeset, or not parsed
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || parent.closest(skip)) continue;
  if (/\$\$|\\\(|\\\)|\\\[|\\\]/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 120));
}
const maths = [...document.querySelectorAll(".math")];
const loads = [];
const add = (url, what) => { if (url) loads.push([new URL(url, document.baseURI).href, what]); };
document.querySelectorAll("script[src]").forEach((e) => add(e.getAttribute("src"), "script"));
document.querySelectorAll("img[src]").forEach((e) => add(e.getAttribute("src"), "img"));
document.querySelectorAll("iframe[src], embed[src], source[src], video[src], audio[src]")
  .forEach((e) => add(e.getAttribute("src"), e.tagName.toLowerCase()));
document.querySelectorAll("object[data]").forEach((e) => add(e.getAttribute("data"), "object"));
document.querySelectorAll("link[href]").forEach((e) => {
  const rel = (e.getAttribute("rel") || "").toLowerCase();
  if (/stylesheet|preload|icon|manifest|prefetch|preconnect/.test(rel)) add(e.getAttribute("href"), "link " + rel);
});
performance.getEntriesByType("resource").forEach((e) => loads.push([e.name, "fetched (" + e.initiatorType + ")"]));
const mjScript = document.querySelector(arguments[1]);
return {
  url: document.URL,
  title: document.title,
  images: [...document.images].map((i) => [i.currentSrc || i.src, i.complete, i.naturalWidth]),
  links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  maths: maths.length,
  maths_untypeset: maths.filter((m) => !m.querySelector("mjx-container")).map((m) => m.textContent.slice(0, 120)),
  mjx: document.querySelectorAll("mjx-container").length,
  mjx_errors: [...document.querySelectorAll("mjx-merror")].map((e) => e.textContent.slice(0, 120)),
  mathjax_src: mjScript ? mjScript.src : null,
  raw_tex: raw,
  loads: loads,
};
"""


@dataclass
class Page:
    name: str
    mathjax: str  # "none", "ready" or an error (book_browser.open_page)
    snapshot: dict = field(repr=False)
    console: list = field(default_factory=list, repr=False)  # (level, message), not ignored
    reading: dict = field(default_factory=dict, repr=False)  # page_checks.reading's findings


@pytest.fixture(scope="module")
def browser(driver):
    """The session's chromium (conftest.py), the build's server, and the pages opened so far."""
    with bb.serve(bb.HTML) as base:
        yield driver, base, {}


@pytest.fixture
def page(request, browser) -> Page:
    """The page named by the test's parameter, opened once and shared by all its checks."""
    driver, base, cache = browser
    name = request.param
    if name not in cache:
        if not (bb.HTML / f"{name}.html").is_file():
            pytest.fail(f"{name}.html is missing from the build ({bb.HTML})")
        mathjax = _open_as_new_visitor(driver, f"{base}{name}.html")
        snapshot = driver.execute_script(_SNAPSHOT_JS, base, bb.MATHJAX_SELECTOR)
        console = _console_errors(driver, base)
        reading = pc.reading(driver)  # last: it opens the page's collapsed blocks
        cache[name] = Page(name, mathjax, snapshot, console, reading)
    return cache[name]


def _open_as_new_visitor(driver, url: str) -> str:
    """Open a page as a first visit: no console messages or browser storage (the theme keeps
    state in localStorage) left by the pages opened before. Returns MathJax's state."""
    if driver.current_url.startswith("http://127.0.0.1"):
        driver.execute_script("localStorage.clear(); sessionStorage.clear();")
    driver.get_log("browser")
    return bb.open_page(driver, url)


def _console_errors(driver, base: str) -> list:
    """The SEVERE console messages since the page was opened, less the named ignores."""
    mathjax_src = driver.execute_script(_MATHJAX_SRC_JS, bb.MATHJAX_SELECTOR)
    return [
        (entry["level"], entry["message"])
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
        and not any(pattern.search(entry["message"]) for pattern, _ in IGNORED_CONSOLE)
        and not _cdn_mathjax_message(entry["message"], mathjax_src, base)
    ]


def _cdn_mathjax_message(message: str, mathjax_src: str | None, base: str) -> bool:
    """The failed load of MathJax from its CDN, where the test build has no local MathJax
    (npm absent): expected with no network, and reported by test_math as a skip."""
    return bool(mathjax_src) and not mathjax_src.startswith(base) and mathjax_src in message


def _local_path(url: str, base: str) -> tuple[Path, str] | None:
    """The file of the build an URL on the local server points at, and its #fragment."""
    if not url.startswith(base):
        return None
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.endswith("/"):
        path += "index.html"
    return bb.HTML / path.lstrip("/"), unquote(parts.fragment)


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "id" or (key == "name" and tag == "a")):
                self.ids.add(value)


_IDS: dict[Path, set[str]] = {}


def _ids(path: Path) -> set[str]:
    if path not in _IDS:
        parser = _Ids()
        parser.feed(path.read_text(encoding="utf-8"))
        _IDS[path] = parser.ids
    return _IDS[path]


pages = pytest.mark.parametrize("page", PAGES, indirect=True)
chapters = pytest.mark.parametrize("page", CHAPTERS, indirect=True)


def test_every_toc_page_is_built():
    missing = [name for name in TOC_PAGES if not (bb.HTML / f"{name}.html").is_file()]
    assert not missing, f"pages of _toc.yml missing from {bb.HTML}: {missing}"
    assert CHAPTERS, "no chapter (notebooks/*) in the build"


def test_index_redirects_to_the_root_page(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    driver, base, _ = browser
    _open_as_new_visitor(driver, base + "index.html")
    root = TOC_PAGES[0]
    WebDriverWait(driver, bb.TIMEOUT_S).until(lambda d: d.current_url.endswith(f"/{root}.html"))
    bb.open_page(driver, driver.current_url)  # wait for the root page itself
    errors = _console_errors(driver, base)
    assert not errors, "index.html -> root page: console errors:\n" + "\n".join(m for _, m in errors)


@pages
def test_no_console_errors(page):
    assert not page.console, f"{page.name}: console errors:\n" + "\n".join(m for _, m in page.console)


@pages
def test_images_loaded(page):
    broken = [src for src, complete, width in page.snapshot["images"] if not (complete and width > 0)]
    assert not broken, f"{page.name}: images not loaded: {broken}"


@pages
def test_math(page, browser):
    """Every formula typeset by the build's own MathJax; no raw TeX delimiters left visible."""
    _, base, _ = browser
    s = page.snapshot
    if not s["maths"] and not s["mathjax_src"]:
        assert not s["raw_tex"], f"{page.name}: raw TeX visible on a page without math: {s['raw_tex']}"
        return
    assert s["mathjax_src"], f"{page.name}: {s['maths']} formulas but no MathJax script"
    if not s["mathjax_src"].startswith(base):
        pytest.skip(f"{page.name}: MathJax comes from {s['mathjax_src']}, not from the build: "
                    "no local MathJax (npm absent when the book was built?), math not checked")
    assert page.mathjax == "ready", f"{page.name}: MathJax {page.mathjax}"
    assert not s["maths_untypeset"], f"{page.name}: formulas not typeset: {s['maths_untypeset']}"
    assert s["mjx"] >= s["maths"], f"{page.name}: {s['maths']} formulas, {s['mjx']} typeset"
    assert not s["mjx_errors"], f"{page.name}: MathJax errors: {s['mjx_errors']}"
    assert not s["raw_tex"], f"{page.name}: raw TeX visible: {s['raw_tex']}"


@pages
def test_internal_links_resolve(page, browser):
    _, base, _ = browser
    broken = []
    for url in dict.fromkeys(page.snapshot["links"]):
        local = _local_path(url, base)
        if local is None:
            continue  # external (or javascript:/mailto:): not followed
        path, fragment = local
        if not path.is_file():
            broken.append(f"{url} (no file {path.relative_to(bb.HTML)})")
        elif fragment and path.suffix == ".html" and fragment not in _ids(path):
            broken.append(f"{url} (no id {fragment!r} in {path.relative_to(bb.HTML)})")
    assert not broken, f"{page.name}: broken internal links:\n" + "\n".join(broken)


@pages
def test_no_external_resources(page, browser):
    _, base, _ = browser
    external = sorted({
        f"{url} [{what}]"
        for url, what in page.snapshot["loads"]
        if not url.startswith((base, "data:", "blob:", "about:"))
        and not (url == page.snapshot["mathjax_src"] and not url.startswith(base))  # see test_math
    })
    assert not external, f"{page.name}: resources from outside the book:\n" + "\n".join(external)


@chapters
def test_colab_link(page):
    expected = bb.colab_link(page.name, CONFIG)
    colab = CONFIG["launch_buttons"]["colab_url"].rstrip("/")
    assert (bb.REPO / f"{page.name}.ipynb").is_file()
    found = [url for url in page.snapshot["links"] if url.startswith(colab)]
    assert expected in found, f"{page.name}: no Colab link {expected}; Colab links on the page: {found}"


# A page reads cleanly (see page_checks.py for the rules and the module's docstring for the list).


def _reading(page: Page) -> dict:
    if not page.reading.get("article"):
        pytest.fail(f"{page.name}: no <article> in the page: the theme changed? (page_checks.READING_JS)")
    return page.reading


def _fail_if(page: Page, what: str, lines: list[str]) -> None:
    """Fail with one line per finding (no traceback: the message says it all)."""
    if lines:
        pytest.fail(f"{page.name}: {len(lines)} {what}:\n" + "\n".join("  " + line for line in lines),
                    pytrace=False)


@pages
def test_no_markdown_table_as_text(page):
    """A Markdown table printed as text (a separator row `| ---`, or rows `| a | b |`) in a
    paragraph or any text block outside <pre>/<code>: Markdown that a cell displayed and the
    build did not parse. A table print() wrote into a <pre> is an output, not checked."""
    found = _reading(page)["markdown_tables"]
    _fail_if(page, "Markdown table(s) shown as text", pc.markdown_table_lines(found))


@pages
def test_blocks_fit_the_column(page):
    """At the test's 1280 px window, no visible `pre`, `table`, child of a `div.cell_output`,
    scrollable table container or display formula is wider than its box (scrollWidth >
    clientWidth + 1 px: the reader must scroll sideways), and none is wider than the article's
    column. Hidden solutions (and every other <details> or toggle) are opened before measuring:
    a reader who opens one must be able to read it, so they must fit too."""
    reading = _reading(page)
    assert reading["window"] == bb.WINDOW[0], f"the window is {reading['window']} px wide, not {bb.WINDOW[0]}"
    _fail_if(page, f"block(s) wider than their box (window {reading['window']} px, article column "
             f"{reading['column']} px)", pc.overflow_lines(reading["overflow"]))


@chapters
def test_images_have_captions(page):
    """Every image in a chapter's article (not the theme's logos or launch buttons) is in a
    <figure> with a caption (myst-nb's cell metadata {"mystnb": {"figure": {"caption": ...,
    "name": ...}}}); the "Fig. N" number alone is no caption."""
    found = _reading(page)["uncaptioned"]
    _fail_if(page, "image(s) without a caption", pc.uncaptioned_lines(found))


@pages
def test_no_absolute_paths(page):
    """No absolute filesystem path of the machine that built the book in the article's text
    (code, outputs and alt text included): the rule, with what it allows (/usr/bin, /etc, URLs,
    relative paths), is page_checks.absolute_path_pattern's."""
    found = _reading(page)["paths"]
    _fail_if(page, "absolute path(s) shown", pc.path_lines(found))


@chapters
def test_chapter_starts_with_title(page):
    """The first content element of a chapter's article is its h1 title: no code cell (nor its
    output, nor a hidden cell's toggle) above the title."""
    problem = pc.first_element_problem(_reading(page))
    if problem:
        pytest.fail(f"{page.name}: {problem}", pytrace=False)
