"""A real browser drives notebooks 06, 09, 10 and 12 in JupyterLab: run all cells, then use their widgets.

These are the tests that see what a learner sees: JupyterLab renders the widgets, a mouse drag or
click goes through the browser, the kernel and back, and the picture must change. Notebook 06: drag
the seed slider, new digits. Notebook 09: the digit picker. Notebook 10 (the GAN lab): play, pause,
exactly one step, a preset, data painted in the draw pad, the noise grid. Notebook 12 (`-k draw`):
draw a 4 with the mouse, a new verdict after every stroke (the stroke-to-verdict time is printed),
then "ask G".
They need Debian's Chromium (`apt-get install chromium` -> /usr/bin/chromium) and the Python
`playwright` package, which drives it and downloads no browser itself (never `playwright install`).
When either is missing the tests skip and says why, unless GAN_REQUIRE_BROWSER=1 (CI sets it when
it installed Chromium): then a missing piece is a failure.

    GAN_QUICK=1 .venv/bin/python -m pytest -m browser tests/test_browser.py  # runs/quick/browser/
    GAN_QUICK=1 .venv/bin/python -m pytest -k lab tests/test_browser.py     # the GAN lab only
    GAN_QUICK=1 .venv/bin/python -m pytest -s -k draw tests/test_browser.py  # notebook 12's pad
    GAN_UPDATE_SCREENSHOT=1 .venv/bin/python -m pytest -m browser -s tests/test_browser.py

The screenshots go to runs/browser/ (runs/quick/browser/ in quick mode). Only with
GAN_UPDATE_SCREENSHOT=1 (a full-mode run, on purpose) are they also copied over the README's
images/browser_screenshot.png, notebook 10's images/lab_widget.png and notebook 12's images/own_digit.png.

The server serves a temporary copy of the notebook, with temporary settings (no news pop-up, no
autosave, every cell in the page), and is shut down even when the test fails.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from gan_utils.runtime import is_quick, run_dir

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = Path("notebooks/06_generation.ipynb")
LAB_NOTEBOOK = Path("notebooks/10_gan_lab.ipynb")
SCREENSHOT = REPO / "images" / "browser_screenshot.png"  # shown by the README
LAB_SCREENSHOT = REPO / "images" / "lab_widget.png"  # notebook 10, for readers without a kernel
UPDATE_ENV = "GAN_UPDATE_SCREENSHOT"
REQUIRE_ENV = "GAN_REQUIRE_BROWSER"
CHROMIUM = os.environ.get("GAN_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach the internet, and on a machine with a
# closed network its refused connections pile up.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous: a whole run takes 10-40 s on a warm machine; a cold or busy one can be much slower.
SERVER_START_S = 120
STEP_TIMEOUT_MS = 240_000

# JupyterLab user settings for the test session: no news or update pop-up, no autosave (nothing is
# written back), and every cell attached to the page (not only those in view).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def missing(why: str) -> None:
    """Skip, saying why; fail instead when GAN_REQUIRE_BROWSER=1 promised a browser."""
    if os.environ.get(REQUIRE_ENV, "").strip() == "1":
        pytest.fail(f"{why} ({REQUIRE_ENV}=1, so the browser test must run)")
    pytest.skip(f"{why}; set {REQUIRE_ENV}=1 to make this a failure")


@pytest.fixture(scope="module")
def sync_playwright():
    """Playwright's sync API, or a skip naming what to install."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package playwright is not installed (pip install playwright)")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set GAN_CHROMIUM)")
    return sync_playwright


@contextlib.contextmanager
def chromium_page(sync_playwright) -> Iterator:
    """A page of a headless Chromium (Debian's, through Playwright), closed however the test ends."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 1500})
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the kernels a Jupyter server started), read from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def api(base: str, token: str, path: str, method: str = "GET") -> object:
    request = urllib.request.Request(
        f"{base}{path}", method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture
def jupyter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    """A JupyterLab server on 127.0.0.1 (random port, token) serving a copy of one notebook:
    notebook 06 unless a test passes another path (parametrize "jupyter" with indirect=True)."""
    notebook = getattr(request, "param", NOTEBOOK)
    root = tmp_path / "root"
    (root / notebook.parent).mkdir(parents=True)
    shutil.copy(REPO / notebook, root / notebook)
    settings = tmp_path / "settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,  # the kernel inherits it, GAN_QUICK included
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # ignore the user's own Jupyter config
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run the Run All command
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "jupyter.log").open("w")
    server = subprocess.Popen(
        command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited ({server.returncode}):\n{log_tail(tmp_path)}")
            try:
                api(base, token, "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"jupyter lab not ready in {SERVER_START_S} s:\n{log_tail(tmp_path)}"
                    )
                time.sleep(0.25)
        yield {"base": base, "token": token, "log": tmp_path / "jupyter.log", "notebook": notebook}
    finally:
        stop_server(server, base, token)
        log.close()


def log_tail(tmp_path: Path, lines: int = 40) -> str:
    return "\n".join((tmp_path / "jupyter.log").read_text(errors="replace").splitlines()[-lines:])


def stop_server(server: subprocess.Popen, base: str, token: str) -> None:
    """Shut down the server and its kernels: politely through the API, then by signal."""
    kernels = child_pids(server.pid)
    if server.poll() is None:
        try:
            api(base, token, "/api/shutdown", method="POST")  # also shuts down its kernels
            server.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    for pid in kernels:  # kernels run in their own process group: end them by id
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kernel_idle(jupyter: dict) -> bool:
    kernels = api(jupyter["base"], jupyter["token"], "/api/kernels")
    return bool(kernels) and all(k["execution_state"] == "idle" for k in kernels)


def wait_until_idle(page, jupyter: dict, timeout_s: float = STEP_TIMEOUT_MS / 1000) -> None:
    """Wait until no cell is running or queued ([*]) and the kernel reports idle twice in a row."""
    deadline, idle_polls = time.monotonic() + timeout_s, 0
    while idle_polls < 2:
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel was still busy after {timeout_s:.0f} s")
        busy_cells = page.locator(".jp-InputPrompt", has_text="*").count()
        idle_polls = idle_polls + 1 if busy_cells == 0 and kernel_idle(jupyter) else 0
        time.sleep(0.3)


def picture(page, image=None) -> bytes:
    """The PNG bytes a widgets.Image shows (default: the page's first), fetched from its <img> src."""
    image = image or page.locator("img.widget-image").first
    data = image.evaluate(
        """async (img) => {
            const blob = await (await fetch(img.src)).blob();
            const bytes = new Uint8Array(await blob.arrayBuffer());
            let text = "";
            for (const b of bytes) text += String.fromCharCode(b);
            return btoa(text);
        }"""
    )
    return base64.b64decode(data)


def open_and_run_all(page, jupyter: dict, widget: str, timings: dict, start: float):
    """Open the served notebook, run all its cells, wait until they finished without a traceback;
    returns the locator of `widget` (a CSS selector), visible."""
    url = f"{jupyter['base']}/lab/tree/{jupyter['notebook'].as_posix()}?token={jupyter['token']}&reset"
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(url)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.wait_for_function("() => window.jupyterapp !== undefined")
    wait_until_idle(page, jupyter)  # the kernel has started
    timings["lab open, kernel idle"] = time.monotonic() - start

    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    found = page.locator(widget).first
    found.wait_for(state="visible")
    timings["widget visible"] = time.monotonic() - start
    wait_until_idle(page, jupyter)
    timings["all cells run"] = time.monotonic() - start
    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    errors = [text for text in outputs if "Traceback" in text]
    assert not errors, f"a cell failed:\n{errors[0]}"
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert all(re.search(r"\[\d+\]", p) for p in prompts), f"cells not run: {prompts}"
    return found


def test_dragging_the_seed_slider_redraws_the_digits(sync_playwright, jupyter):
    timings = {}
    start = time.monotonic()
    with chromium_page(sync_playwright) as page:
        image = open_and_run_all(page, jupyter, "img.widget-image", timings, start)

        before = picture(page)
        with Image.open(io.BytesIO(before)) as shown:
            assert shown.format == "PNG" and shown.width >= 600  # 8x8 digits, upscaled

        # Drag the handle of the slider labelled exactly "seed" to the right with the mouse.
        seed = page.locator(".widget-slider").filter(
            has=page.locator(".widget-label", has_text=re.compile(r"^seed$"))
        )
        old_src = image.get_attribute("src")
        moved = time.monotonic()
        drag_slider(page, "seed", 80)
        # The slider's number changes at once; the picture only after the kernel redrew it.
        wait_for_new_picture(page, old_src)
        timings["drag -> new picture"] = time.monotonic() - moved
        wait_until_idle(page, jupyter)
        new_seed = seed.locator(".widget-readout").first.inner_text().strip()
        after = picture(page)
        assert int(new_seed) > 0, f"the seed slider did not move (reads {new_seed!r})"
        assert after != before, "the picture did not change after dragging the seed slider"
        with Image.open(io.BytesIO(after)) as shown:
            assert shown.size == Image.open(io.BytesIO(before)).size

        target = run_dir("browser") / SCREENSHOT.name
        cell = page.locator(".jp-CodeCell").filter(has=page.locator("img.widget-image")).first
        cell.screenshot(path=str(target))
        if os.environ.get(UPDATE_ENV) == "1" and not is_quick():
            shutil.copyfile(target, SCREENSHOT)
    timings["whole test"] = time.monotonic() - start
    print(f"\nseed {new_seed}; screenshot: {target}")
    print("  ".join(f"{name}: {seconds:.1f} s" for name, seconds in timings.items()))


def lab_step(counter) -> int:
    """The step number the lab's counter label shows ("step 12 (D updates ...")."""
    text = counter.inner_text()
    found = re.match(r"step (\d+) ", text)
    assert found, f"the lab's counter reads {text!r}"
    return int(found.group(1))


def steady_step(page, counter, jupyter: dict) -> int:
    """The counter once the kernel is idle and the number stays put for half a second."""
    while True:
        wait_until_idle(page, jupyter)
        first = lab_step(counter)
        time.sleep(0.5)
        if lab_step(counter) == first:
            return first


@pytest.mark.parametrize("jupyter", [LAB_NOTEBOOK], indirect=True, ids=["10_gan_lab"])
def test_gan_lab_plays_pauses_steps_once_and_switches_presets(sync_playwright, jupyter):
    timings = {}
    start = time.monotonic()
    with chromium_page(sync_playwright) as page:
        counter = open_and_run_all(page, jupyter, ".gan-lab-counter", timings, start)
        widget = page.locator(".widget-vbox").filter(has=counter).last  # the whole lab
        image = widget.locator("img.widget-image").first
        widget.scroll_into_view_if_needed()
        step0, before = lab_step(counter), picture(page, image)

        # Play: the browser's timer ticks, each tick trains one step and redraws.
        play_pause = widget.locator(".widget-play button").first
        play_pause.click()
        played = time.monotonic()
        page.wait_for_function(
            "([el, n]) => parseInt(el.innerText.match(/step (\\d+)/)[1]) >= n",
            arg=[counter.element_handle(), step0 + 10],
        )
        timings["play -> 10 steps"] = time.monotonic() - played
        play_pause.click()  # pause
        paused = steady_step(page, counter, jupyter)
        assert paused >= step0 + 10
        assert picture(page, image) != before, "the picture did not change while playing"
        time.sleep(1.0)
        assert lab_step(counter) == paused, "the lab kept training after pause"

        # One step: exactly one more.
        shown = picture(page, image)
        widget.locator("button", has_text=re.compile(r"^step$")).click()
        page.wait_for_function(
            "([el, n]) => el.innerText.startsWith(`step ${n} `)",
            arg=[counter.element_handle(), paused + 1],
        )
        assert steady_step(page, counter, jupyter) == paused + 1
        assert picture(page, image) != shown, "one step did not redraw the picture"

        # A preset: fresh players (step 0), its settings, its text.
        preset = widget.locator(".widget-dropdown").filter(
            has=page.locator(".widget-label", has_text=re.compile(r"^preset$"))
        )
        preset.locator("select").select_option(label="mode collapse")
        page.wait_for_function(
            "(el) => el.innerText.startsWith('step 0 ')", arg=counter.element_handle()
        )
        wait_until_idle(page, jupyter)
        assert "mode collapse" in widget.locator(".widget-html").first.inner_text()
        assert lab_step(counter) == 0

        # The still of notebook 10: the lab after the preset.
        target = run_dir("browser") / "gan_lab.png"
        widget.screenshot(path=str(target))
        if os.environ.get(UPDATE_ENV) == "1" and not is_quick():
            shutil.copyfile(target, LAB_SCREENSHOT)

        # Draw your own data: pick "draw", paint a stroke in the pad, train a step on it.
        data = widget.locator(".widget-dropdown").filter(
            has=page.locator(".widget-label", has_text=re.compile(r"^data$"))
        )
        data.locator("select").select_option(label="draw")
        pad = widget.locator(".gan-draw-canvas").first
        pad.wait_for(state="visible")
        about = widget.locator(".widget-html").first
        draw_stroke(page, pad, [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7)])
        page.wait_for_function(
            "(el) => /Points painted: [1-9]/.test(el.innerText)", arg=about.element_handle()
        )
        wait_until_idle(page, jupyter)
        painted = steady_step(page, counter, jupyter)
        widget.locator("button", has_text=re.compile(r"^step$")).click()
        page.wait_for_function(
            "([el, n]) => el.innerText.startsWith(`step ${n} `)",
            arg=[counter.element_handle(), painted + 1],
        )
        # The noise grid: G's image of a regular grid of noise vectors, drawn over the plane.
        wait_until_idle(page, jupyter)
        shown, old_src = picture(page, image), image.get_attribute("src")
        widget.locator(".widget-checkbox", has_text="noise grid").locator("input").check()
        page.wait_for_function(
            "([img, old]) => img.src !== old", arg=[image.element_handle(), old_src]
        )
        wait_until_idle(page, jupyter)
        assert picture(page, image) != shown, "the noise grid did not change the picture"

    timings["whole test"] = time.monotonic() - start
    print(f"\nsteps while playing: {paused - step0}; screenshot: {target}")
    print("  ".join(f"{name}: {seconds:.1f} s" for name, seconds in timings.items()))


DIGIT_NOTEBOOK = Path("notebooks/09_conditional_gan.ipynb")


def drag_slider(page, label: str, pixels: float) -> None:
    """Drag the handle of the slider labelled exactly `label` to the right with the mouse."""
    slider = page.locator(".widget-slider").filter(
        has=page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first  # ipywidgets 8, 7
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=10)
    page.mouse.up()


def wait_for_new_picture(page, old_src: str) -> None:
    page.wait_for_function(
        "(old) => document.querySelector('img.widget-image').src !== old", arg=old_src
    )


@pytest.mark.parametrize("jupyter", [DIGIT_NOTEBOOK], indirect=True, ids=["09_conditional_gan"])
def test_digit_picker_keeps_the_noise_and_the_seed_slider_keeps_the_digit(sync_playwright, jupyter):
    timings = {}
    start = time.monotonic()
    with chromium_page(sync_playwright) as page:
        image = open_and_run_all(page, jupyter, "img.widget-image", timings, start)
        picker = page.locator(".widget-toggle-buttons").filter(
            has=page.locator(".widget-label", has_text=re.compile(r"^digit$"))
        )
        seven = picker.locator("button", has_text=re.compile(r"^\s*7\s*$"))
        status = page.locator(".widget-label", has_text="average |z|")
        mixed, mixed_status = picture(page), status.inner_text()
        assert "0-9 in turn" in mixed_status, mixed_status

        # A new digit: the picture changes, the noise (the status line's |z|) stays.
        old_src = image.get_attribute("src")
        seven.scroll_into_view_if_needed()
        seven.click()
        wait_for_new_picture(page, old_src)
        wait_until_idle(page, jupyter)
        sevens, sevens_status = picture(page), status.inner_text()
        assert sevens != mixed, "the picture did not change after picking 7"
        assert "mod-active" in (seven.get_attribute("class") or "")
        assert "all 7s" in sevens_status, sevens_status
        z_length = re.search(r"average \|z\| ([\d.]+)", mixed_status).group(1)
        assert f"average |z| {z_length}" in sevens_status, "the noise changed with the digit"

        # New noise: the picture changes, the digit stays 7.
        old_src = image.get_attribute("src")
        drag_slider(page, "seed", 80)
        wait_for_new_picture(page, old_src)
        wait_until_idle(page, jupyter)
        assert picture(page) != sevens, "the picture did not change after dragging the seed"
        assert "mod-active" in (seven.get_attribute("class") or ""), "the digit was lost"
        assert "all 7s" in status.inner_text(), status.inner_text()
        timings["picker and slider checked"] = time.monotonic() - start
    print("\n" + "  ".join(f"{name}: {seconds:.1f} s" for name, seconds in timings.items()))


DRAW_NOTEBOOK = Path("notebooks/12_your_own_digit.ipynb")
DRAW_SCREENSHOT = REPO / "images" / "own_digit.png"  # notebook 12, for readers without a kernel
# In-page timing: the time of each stroke's end (pointerup on the pad) and of the next change of the
# verdict's text, both on the page's own clock, so the test's own overhead is not counted.
WATCH_VERDICT = """(verdict) => {
    window.ganDraw = {ups: [], changes: []};
    document.querySelector('.gan-draw-canvas').addEventListener(
        'pointerup', () => window.ganDraw.ups.push(performance.now()), true);
    new MutationObserver(() => window.ganDraw.changes.push(performance.now()))
        .observe(verdict, {childList: true, subtree: true, characterData: true});
}"""


def draw_stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """Draw one stroke with the mouse through `points` (fractions of the pad's side)."""
    box = canvas.bounding_box()
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for point in at[1:]:
        page.mouse.move(*point, steps=5)
    page.mouse.up()


@pytest.mark.parametrize("jupyter", [DRAW_NOTEBOOK], indirect=True, ids=["12_your_own_digit"])
def test_drawing_a_digit_gets_a_verdict_per_stroke_and_g_finds_a_twin(sync_playwright, jupyter):
    timings = {}
    start = time.monotonic()
    with chromium_page(sync_playwright) as page:
        canvas = open_and_run_all(page, jupyter, ".gan-draw-canvas", timings, start)
        judge = page.locator(".widget-vbox").filter(has=canvas).last  # the whole judge
        verdict = judge.locator(".gan-draw-verdict").first
        judge.scroll_into_view_if_needed()
        judge.locator("button", has_text="clear").first.click()
        page.wait_for_function(
            "(el) => el.innerText.includes('Draw a digit')", arg=verdict.element_handle()
        )
        verdict.evaluate(WATCH_VERDICT)

        # A 4 in three strokes; after each, a new verdict from both discriminators and the classifier.
        strokes = [
            [(0.6, 0.15), (0.28, 0.6)],
            [(0.28, 0.6), (0.76, 0.6)],
            [(0.6, 0.36), (0.6, 0.88)],
        ]
        texts = []
        for i, stroke in enumerate(strokes, 1):
            before = verdict.inner_text()
            draw_stroke(page, canvas, stroke)
            page.wait_for_function(
                "([el, old]) => el.innerText !== old && el.innerText.includes('classifier')",
                arg=[verdict.element_handle(), before],
            )
            wait_until_idle(page, jupyter)
            page.wait_for_function(f"() => window.ganDraw.ups.length === {i}")
            texts.append(verdict.inner_text())
        assert all(
            re.search(r"D\s*block: \d+ % real", t) and "classifier: a" in t for t in texts
        ), texts
        assert len(set(texts)) == len(texts), f"a stroke left the verdict unchanged: {texts}"
        latencies = page.evaluate(
            """() => window.ganDraw.ups.map((up) => {
                const after = window.ganDraw.changes.filter((t) => t >= up);
                return after.length ? Math.min(...after) - up : null;
            })"""
        )
        assert all(ms is not None for ms in latencies), latencies

        # Ask G: its search shows up, ending with the distance and the nearest training digit.
        judge.locator("button", has_text="ask G").click()
        search = judge.locator(".gan-draw-search").first
        page.wait_for_function(
            "(el) => el.innerText.includes('nearest training digit')", arg=search.element_handle()
        )
        wait_until_idle(page, jupyter)
        found = picture(page, judge.locator("img.widget-image").last)
        with Image.open(io.BytesIO(found)) as shown:
            assert shown.format == "PNG" and shown.width > 3 * shown.height  # three digits in a row
        timings["drawn and searched"] = time.monotonic() - start

        target = run_dir("browser") / DRAW_SCREENSHOT.name
        judge.screenshot(path=str(target))
        if os.environ.get(UPDATE_ENV) == "1" and not is_quick():
            shutil.copyfile(target, DRAW_SCREENSHOT)
    median = sorted(latencies)[len(latencies) // 2]
    print(f"\nstroke end -> verdict on screen: {', '.join(f'{ms:.0f}' for ms in latencies)} ms "
          f"(median {median:.0f} ms); last verdict: {texts[-1]!r}; screenshot: {target}")  # fmt: skip
    print("  ".join(f"{name}: {seconds:.1f} s" for name, seconds in timings.items()))
