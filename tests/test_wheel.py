"""The built wheel carries the ontology, queries and dataset: it answers outside the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_answers_kg_query_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("kg-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # The fresh environment gets kg only from the wheel; its dependencies are borrowed from
    # this interpreter's site-packages (added after its own) so the test needs no download.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run(
        [python, "-c", "import kg; print(kg.__file__)"],
        cwd=outside,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(env_dir))
    result = subprocess.run(
        [env_dir / "bin" / "kg", "query", "participants-by-series", "--format", "json"],
        cwd=outside,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert any(r["participant"]["value"].endswith("/tmall-global") for r in rows)
    refused = subprocess.run(
        [env_dir / "bin" / "kg", "add", "source", "cbr:source-x", "--title", "X"],
        cwd=outside,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert refused.returncode == 1
    assert "read-only" in refused.stderr
    assert "Error: " in refused.stderr and "the --store" in refused.stderr  # the CLI names its flag

    installed = Path(where.strip()).parent
    assert (installed / "py.typed").is_file()
    assert (installed / "views" / "templates" / "view.js").is_file()
    api = subprocess.run(
        [
            python,
            "-c",
            "import kg\n"
            "with kg.open() as g:\n"
            "    rows = g.query('dependencies-of', participant='cbr:mi-tao').rows\n"
            "    print(len(rows), g.chokepoints(chain='logistics')[0].chain)",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
    )
    assert api.returncode == 0, api.stderr
    count, chain = api.stdout.split()
    assert int(count) > 0 and chain == "LogisticsChain"
    # The bundled dataset of an installed package has no folder of the user's: `kg report`
    # writes no views unless asked where, and never into the folder it was run from.
    report = subprocess.run(
        [env_dir / "bin" / "kg", "report"],
        cwd=outside,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert report.returncode == 0, report.stderr
    assert "Views: not written" in report.stdout and "--exports" in report.stdout
    assert list(outside.iterdir()) == []
