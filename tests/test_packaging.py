"""The package as users get it (issue 13): build the sdist and the wheel from the sdist, check their
metadata and contents, install the wheel into a fresh venv outside the checkout and run the CLI there.

Slow: one build (setuptools in an isolated env) and one install whose dependencies come from the
package index. uv does both when it is there (the test extra installs it), pip otherwise: pip
downloads every dependency again on each run, about a minute here.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import NamedTuple

import pytest

import orchestrator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NAME = "supabase-orchestrator"
REPO = "https://github.com/supabase-orchestrator/supabase-orchestrator"  # placeholder until it is published
PYTHONS = {f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)}
# Nothing of the checkout (PYTHONPATH) or of the venv running the tests leaks into the installed CLI.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}


class Dists(NamedTuple):
    sdist: Path
    wheel: Path


def _uv() -> str | None:
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.exists() else shutil.which("uv")


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          env=env or CLEAN_ENV, timeout=600, check=False)


def _git_files(*paths: str) -> list[str]:
    """The checkout's files: tracked ones and new ones not ignored (what the next commit can hold)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *paths],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return sorted(p for p in out.splitlines() if (ROOT / p).is_file())


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """`python -m build` on a copy of the checkout's files (the checkout gets no build/ or egg-info):
    the sdist first, then the wheel from the unpacked sdist, so the sdist must hold what building needs."""
    if importlib.util.find_spec("build") is None:
        pytest.fail("`build` is in the test extra: run scripts/setup")
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in _git_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    uv = _uv()
    installer = ["--installer", "uv"] if uv else []  # setuptools for the build env: seconds from uv's cache
    path = (f"{Path(uv).parent}{os.pathsep}" if uv else "") + CLEAN_ENV.get("PATH", "")
    done = _run([sys.executable, "-m", "build", *installer, "--outdir", out, src], cwd=src,
                env={**CLEAN_ENV, "PATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return Dists(sdist, wheel)


def _metadata(wheel: Path) -> tuple[Message, list[str]]:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        text = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    return HeaderParser().parsestr(text), names


def test_wheel_metadata_names_the_licence_version_classifiers_and_urls(dists: Dists) -> None:
    meta, _ = _metadata(dists.wheel)
    assert (meta["Name"], meta["Version"]) == (NAME, orchestrator.__version__)
    assert meta["Requires-Python"] == ">=3.11"
    assert tuple(map(int, meta["Metadata-Version"].split("."))) >= (2, 4)
    assert (meta["License-Expression"], meta.get_all("License-File")) == ("MIT", ["LICENSE"])
    classifiers = set(meta.get_all("Classifier") or [])
    assert PYTHONS | {"Environment :: Console", "Typing :: Typed"} <= classifiers
    assert any(c.startswith("Operating System ::") for c in classifiers)
    assert any(c.startswith("Topic ::") for c in classifiers)
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: the expression replaces them
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert urls["Source"] == REPO and urls["Issues"] == f"{REPO}/issues" and "Homepage" in urls
    assert "supabase" in meta["Keywords"].split(",")


def test_wheel_ships_the_package_typed_with_its_licence_and_entry_point(dists: Dists) -> None:
    _, names = _metadata(dists.wheel)
    dist_info = f"{NAME.replace('-', '_')}-{orchestrator.__version__}.dist-info"
    expected = {"orchestrator/py.typed", f"{dist_info}/licenses/LICENSE", f"{dist_info}/entry_points.txt"}
    assert expected <= set(names)
    assert set(_git_files("orchestrator")) <= set(names)
    assert not [n for n in names if n.startswith("tests/")]
    with zipfile.ZipFile(dists.wheel) as z:
        entry_points = configparser.ConfigParser()
        entry_points.read_string(z.read(f"{dist_info}/entry_points.txt").decode())
    assert dict(entry_points["console_scripts"]) == {"orchestrator": "orchestrator.__main__:main"}


def test_sdist_holds_what_building_needs_and_no_tests(dists: Dists) -> None:
    """Tests stay out on purpose (MANIFEST.in): they need the checkout around them (examples/, docs/,
    .tools/, PostgreSQL). The wheel above was built from this sdist, so it is complete enough to build."""
    with tarfile.open(dists.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "orchestrator/py.typed"} <= names
    assert set(_git_files("orchestrator")) <= names
    assert not [n for n in names if n == "tests" or n.startswith("tests/")]


@pytest.fixture(scope="module")
def installed(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel installed (its dependencies from the index).
    Returns an empty folder to run in; the venv is its sibling `venv`."""
    base = tmp_path_factory.mktemp("installed")
    python = base / "venv" / "bin" / "python"
    assert _run([sys.executable, "-m", "venv", "--without-pip", base / "venv"], cwd=base).returncode == 0
    uv = _uv()
    if uv:
        done = _run([uv, "pip", "install", "--python", python, dists.wheel], cwd=base)
    else:
        done = _run([sys.executable, "-m", "pip", "--python", python, "install", dists.wheel], cwd=base)
    assert done.returncode == 0, done.stdout + done.stderr
    (base / "work").mkdir()
    return base / "work"


def _cli(work: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return _run([work.parent / "venv" / "bin" / "orchestrator", *args], cwd=work, env=env)


def _python(work: Path, code: str) -> str:
    done = _run([work.parent / "venv" / "bin" / "python", "-c", code], cwd=work)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_installed_cli_imports_the_installed_package(installed: Path) -> None:
    where = Path(_python(installed, "import orchestrator; print(orchestrator.__file__)"))
    assert where.is_relative_to(installed.parent / "venv") and not where.is_relative_to(ROOT)


def test_installed_help_and_schema(installed: Path) -> None:
    help_ = _cli(installed, "--help")
    assert help_.returncode == 0, help_.stderr
    assert "lint" in help_.stdout and "validate" in help_.stdout
    schema = _cli(installed, "schema")
    assert schema.returncode == 0, schema.stderr
    assert "steps" in json.loads(schema.stdout)["properties"]


def test_installed_lint_finds_a_blocking_index_and_passes_a_clean_file(installed: Path) -> None:
    (installed / "20240101000000_unsafe.sql").write_text("create index t_a on public.t (a);\n")
    (installed / "20240102000000_clean.sql").write_text(
        "create table public.u (id bigint primary key);\nalter table public.u enable row level security;\n")
    unsafe = _cli(installed, "lint", "20240101000000_unsafe.sql")
    assert unsafe.returncode == 1, unsafe.stdout + unsafe.stderr
    assert "require-concurrent-index" in unsafe.stdout and "20240101000000_unsafe.sql:1" in unsafe.stdout
    clean = _cli(installed, "lint", "-f", "json", "20240102000000_clean.sql")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["findings"] == []


def test_installed_version_is_the_metadata_version(installed: Path) -> None:
    version = _python(installed, f"import importlib.metadata as m; print(m.version({NAME!r}))")
    assert version == orchestrator.__version__
    done = _cli(installed, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["orchestrator", version]


def test_installed_tools_status_names_each_missing_tool(installed: Path) -> None:
    """Outside a checkout, with no tools installed and none on PATH: exit 1, naming what is missing."""
    bin_ = installed.parent / "venv" / "bin"
    env = {**CLEAN_ENV, "ORCHESTRATOR_TOOLS_DIR": str(installed / "no-tools"),
           "PATH": os.pathsep.join([str(bin_), "/usr/bin", "/bin"])}
    done = _cli(installed, "tools", "status", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "supabase" in done.stdout and "deno" in done.stdout
    assert "not found" in done.stderr.lower() and "Traceback" not in done.stderr
