"""Open the rendered book in Debian's headless chromium: shared by the browser test and
tools/screenshots.py.

The book (_build/html, built by `make book-test`) is served over HTTP on 127.0.0.1 by a
`http.server` thread; chromium runs with every host name unresolvable, so a page that needs the
network shows it (console errors, unloaded resources) instead of quietly fetching it.
Selenium uses the system chromedriver and never Selenium Manager (no driver download).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import yaml

REPO = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("ECGKERAS_BOOK_HTML", REPO / "_build" / "html"))  # the build to check
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1280, 900)  # the viewport (what a screenshot shows), in CSS pixels
TIMEOUT_S = 90  # a page load, or MathJax's typesetting, on a busy 2-core machine

# Never let Selenium Manager look for (or download) a driver or a browser.
os.environ["SE_OFFLINE"] = "true"


def missing_browser() -> str | None:
    """Why the browser cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.is_file():
            return f"{path} not found (apt-get install chromium chromium-driver; .ci/run does)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def toc_pages(toc: Path = REPO / "_toc.yml") -> list[str]:
    """The book's pages (document names, no suffix) in the order of _toc.yml."""
    pages: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    pages.append(str(Path(node[key]).with_suffix("")))
            for value in node.values():
                if isinstance(value, list):
                    for item in value:
                        walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(toc.read_text()))
    return list(dict.fromkeys(pages))


def built_pages(html: Path = HTML) -> list[str]:
    """The content pages present in the build: every .html but Sphinx's own pages."""
    skip_dirs = {"_static", "_sources", "_images"}
    skip_pages = {"genindex", "search", "index"}  # index.html: a redirect to the root page
    pages = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if rel.parts[0] in skip_dirs or str(rel.with_suffix("")) in skip_pages:
            continue
        pages.append(rel.with_suffix("").as_posix())
    return pages


def book_config(config: Path = REPO / "_config.yml") -> dict:
    return yaml.safe_load(config.read_text())


def colab_link(docname: str, config: dict) -> str:
    """The Colab URL the launch button of a notebook chapter must have, from _config.yml."""
    repo = config["repository"]
    org_repo = repo["url"].rstrip("/").split("github.com/", 1)[1]
    book_path = (repo.get("path_to_book") or "").strip("/")
    notebook = f"{book_path}/{docname}.ipynb" if book_path else f"{docname}.ipynb"
    return f"{config['launch_buttons']['colab_url'].rstrip('/')}/github/{org_repo}/blob/{repo['branch']}/{notebook}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def serve(directory: Path = HTML) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def make_driver():
    """Headless chromium (Debian's), the system chromedriver, no network but 127.0.0.1."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--hide-scrollbars",
        # The network is unreachable for the page: every host name fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--no-proxy-server",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(TIMEOUT_S)
    driver.set_script_timeout(TIMEOUT_S)
    driver.set_window_size(*WINDOW)
    # The window includes the browser's frame: grow it so that the viewport is WINDOW.
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * WINDOW[0] - inner[0], 2 * WINDOW[1] - inner[1])
    return driver


MATHJAX_SELECTOR = 'script[src*="mathjax"], script[src*="MathJax"]'  # Sphinx's MathJax script

# Resolves once the page, its fonts and (where the page loads it) MathJax's first typesetting
# are done; returns MathJax's state: "none" (not on the page), "ready", or an error.
_WAIT_JS = """
const done = arguments[arguments.length - 1];
const fonts = () => (document.fonts ? document.fonts.ready : Promise.resolve());
const mathjax = () => {
  const script = document.querySelector(arguments[0]);
  if (!script) return Promise.resolve("none");
  const start = Date.now();
  return new Promise((resolve) => {
    (function poll() {
      const mj = window.MathJax;
      if (mj && mj.startup && mj.startup.promise) {
        mj.startup.promise.then(() => resolve("ready"), (e) => resolve("error: " + e));
      } else if (Date.now() - start > (document.readyState === "complete" ? 1000 : 10000)) {
        // A deferred script runs before the load event: no MathJax by now means it did not load.
        resolve("error: MathJax did not start (" + script.src + ")");
      } else {
        setTimeout(poll, 50);
      }
    })();
  });
};
mathjax().then((state) => fonts().then(() => done(state)));
"""


def open_page(driver, url: str) -> str:
    """Load `url` and wait until it is rendered; returns MathJax's state (see _WAIT_JS)."""
    driver.get(url)
    return driver.execute_async_script(_WAIT_JS, MATHJAX_SELECTOR)
