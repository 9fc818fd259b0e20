"""The web app in headless Chromium (SwiftShader WebGL2), driven by Playwright.

Run by `scripts/web.sh test` (and CI) on a built dist/. Checks, on the page:
  1. it loads and draws lesson 1 in lesson mode, with no panic or error in the console;
     the time from opening the page to the first surface is printed;
  2. every lesson's surface appears after Next (PageDown); the time each took is printed against
     the 3 s goal (software WebGL here draws a frame in about a second, so this is reported, not
     asserted; a lesson that never draws within LESSON_LIMIT fails);
  3. a `#losscape1.…` fragment opens its scene, on a new page and when the fragment changes
     on an open one (the line comes from `losscape share`, the desktop binary);
  4. the page's core gives lesson 8's trajectory (881 parameters, generated data, seeded
     initialisation) exactly as `losscape train` does on the desktop, value for value;
  5. and lesson 8's grid exactly as `losscape surface` does.
Screenshots go to $LOSSCAPE_SHOTS (default /tmp/losscape-web-shots).

Environment: LOSSCAPE_BIN, the desktop binary (default $CARGO_TARGET_DIR or target, /release/losscape);
LOSSCAPE_WEB_ALL_LESSONS=1 walks every lesson (about 7 minutes here: the deep networks of
lessons 7b–8 take about a minute each on one thread with software WebGL); by default the
walk stops after lesson 6, to keep CI short.
"""

import contextlib
import functools
import http.server
import os
import pathlib
import socketserver
import subprocess
import sys
import threading
import time

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
LESSONS = sorted(p.name for p in (ROOT / "assets" / "scenes").iterdir() if p.suffix in (".ron", ".json"))
SHOTS = pathlib.Path(os.environ.get("LOSSCAPE_SHOTS", "/tmp/losscape-web-shots"))
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = pathlib.Path(os.environ.get("LOSSCAPE_BIN", TARGET / "release" / "losscape"))
FIRST_SURFACE_LIMIT = 120.0  # s: SwiftShader compiles every pipeline on the first frame
LESSON_GOAL = 3.0  # s: the goal per lesson after the first (reported)
LESSON_LIMIT = 120.0  # s: a lesson whose surface takes longer is broken


def desktop(*args):
    done = subprocess.run([str(BIN), *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"losscape {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


@contextlib.contextmanager
def served(directory):
    """dist/ on a free port of 127.0.0.1 (the page needs http: a file:// page cannot load wasm)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}/"
        server.shutdown()


class Page:
    """A page of the app with its console watched: a panic or page error fails the test."""

    def __init__(self, browser, url):
        self.problems = []
        self.console = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self._problem(f"page error: {e}"))
        self.page.goto(url)

    def _console(self, message):
        text = message.text
        self.console.append(text)
        if "panicked at" in text or (message.type == "error" and "Using exceptions for control flow" not in text):
            self._problem(f"console {message.type}: {text}")

    def _problem(self, text):
        if "Using exceptions for control flow" not in text:
            self.problems.append(text)

    def state(self, key):
        return self.page.evaluate(f"document.documentElement.dataset[{key!r}] ?? null")

    def surfaces(self):
        return int(self.state("surfaces") or 0)

    def wait_for_surface(self, after, scene, limit):
        """Seconds until a surface beyond `after` of scene `scene` is on screen."""
        start = time.monotonic()
        while time.monotonic() - start < limit:
            self.check()
            if self.surfaces() > after and (scene is None or self.state("scene") == scene):
                return time.monotonic() - start
            self.page.wait_for_timeout(50)
        raise AssertionError(f"no surface of {scene!r} within {limit} s (on screen: {self.state('scene')!r}, {self.surfaces()} drawn)")

    def check(self):
        if self.problems:
            raise AssertionError("the page reported:\n" + "\n".join(self.problems[:10]))

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / name))


def scene_name(file):
    text = (ROOT / "assets" / "scenes" / file).read_text()
    start = text.index("name:") + len("name:")
    first = text.index('"', start)
    return text[first + 1 : text.index('"', first + 1)]


def main():
    if not (DIST / "index.html").exists():
        raise SystemExit("no dist/: run scripts/web.sh build first")
    if not BIN.exists():
        raise SystemExit(f"no desktop binary at {BIN} (cargo build, or set LOSSCAPE_BIN)")
    args = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
    with served(DIST) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)

        # 1. Lesson 1 on opening.
        page = Page(browser, url)
        page.wait_for_surface(0, scene_name("01_x_squared.ron"), FIRST_SURFACE_LIMIT)
        loaded = page.page.evaluate("window.losscapeStarted / 1000")
        opened = page.page.evaluate("performance.now() / 1000")
        print(f"page: the module started {loaded:.1f} s after opening; lesson 1's surface was on screen at {opened:.1f} s")
        page.page.wait_for_timeout(1500)
        page.shot("lesson_01.png")

        # 2. Every lesson, in order, by Next (PageDown on the canvas). Lesson 0 is before 1.
        page.page.focus("#losscape")
        times = {}
        order = LESSONS[LESSONS.index("01_x_squared.ron") + 1 :]
        if os.environ.get("LOSSCAPE_WEB_ALL_LESSONS") != "1":
            order = order[: order.index("06_dense_layer.ron") + 1]
        for file in order:
            before = page.surfaces()
            page.page.keyboard.press("PageDown")
            times[file] = page.wait_for_surface(before, scene_name(file), LESSON_LIMIT)
            print(f"page: {file}: surface after {times[file]:.2f} s", flush=True)
        slow = sorted(f for f, t in times.items() if t > LESSON_GOAL)
        print(f"page: {len(times) - len(slow)} of {len(times)} lessons drawn within {LESSON_GOAL} s; slower: {', '.join(slow) or 'none'}")
        page.shot("last_lesson.png")

        # 3. A shared line in the fragment, on the open page and on a new one.
        line = desktop("share", "assets/scenes/08_exploding.ron").strip()
        assert line.startswith("losscape1."), line
        before = page.surfaces()
        page.page.evaluate(f"location.hash = {line!r}")
        page.wait_for_surface(before, scene_name("08_exploding.ron"), LESSON_LIMIT)
        page.shot("shared_link.png")
        page.check()
        # 4. The page's core and the desktop's: lesson 8's trajectory, value for value.
        text = (ROOT / "assets" / "scenes" / "08_exploding.ron").read_text()
        on_page = page.page.evaluate("([t]) => window.losscape.train_csv('08_exploding.ron', t, 200)", [text])
        on_desktop = desktop("train", "assets/scenes/08_exploding.ron", "--steps", "200")
        assert on_page.count("\n") == on_desktop.count("\n") > 400, (on_page[:200], on_desktop[:200])
        for k, (a, b) in enumerate(zip(on_page.splitlines(), on_desktop.splitlines())):
            assert a == b, f"line {k + 1} differs:\n page:    {a[:160]}\n desktop: {b[:160]}"
        print(f"page: lesson 8's trajectory ({on_page.count(chr(10))} rows, 881 parameters) equals the desktop's")
        # 5. The page's surface and the desktop's: lesson 8's grid (its own settings: a random
        # slice at 48²), written as `losscape surface` writes it, value for value. The page has no
        # FMA instruction; its core emulates the fused multiply-add exactly.
        on_page = page.page.evaluate("([t]) => window.losscape.surface_csv('08_exploding.ron', t)", [text])
        on_desktop = desktop("surface", "assets/scenes/08_exploding.ron")
        assert on_page.count("\n") == on_desktop.count("\n") > 2000, (on_page[:200], on_desktop[:200])
        for k, (a, b) in enumerate(zip(on_page.splitlines(), on_desktop.splitlines())):
            assert a == b, f"grid line {k + 1} differs:\n page:    {a}\n desktop: {b}"
        print(f"page: lesson 8's grid ({on_page.count(chr(10)) - 1} vertices) equals the desktop's")

        page.check()
        page.page.close()  # one page at a time: both would share two cores
        fresh = Page(browser, f"{url}#{line}")
        fresh.wait_for_surface(0, scene_name("08_exploding.ron"), FIRST_SURFACE_LIMIT)
        fresh.check()
        fresh.page.close()
        print("page: a #losscape1 fragment opens its scene (new page and hash change)")

        browser.close()
    print("browser test: passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"browser test FAILED: {e}", file=sys.stderr)
        sys.exit(1)
