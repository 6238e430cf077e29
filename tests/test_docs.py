"""The docs stay honest: the README's commands, CI's command and the data formats match the code."""

import re

from conftest import ROOT
from kpis import catalogue, ingest, periods


def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = readme().split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.MULTILINE)


def test_makefile_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test", "bench"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_data_readme_documents_every_column():
    text = (ROOT / "data" / "README.md").read_text()
    for column in [*catalogue.SCHEMA, *ingest.REQUIRED, *ingest.OPTIONAL, "area", "code", "parent", "order"]:
        assert f"`{column}`" in text, column


def test_data_readme_lists_the_accepted_period_forms():
    text = (ROOT / "data" / "README.md").read_text()
    for example in ("2024-06", "Jun 24", "June 2024", "2024/25 Q1", "Q1 2024/25", "2024-25 Q1", "2024/25", "2024 Q1", "2024Q1"):
        assert f"`{example}`" in text, example
        periods.parse_period(example)


def test_readme_has_benchmark_figures():
    text = readme()
    assert "BENCHMARK_FIGURES" not in text
    assert re.search(r"b/a = \d+\.\d+", text) and re.search(r"overview_page\s+\d+", text)


def test_readme_names_every_page_address():
    app = (ROOT / "app.py").read_text()
    paths = re.findall(r'url_path="([^"]*)"', app)
    for path in paths:
        assert f"`/{path}`" in readme(), path
