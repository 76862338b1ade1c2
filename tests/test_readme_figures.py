"""The README's figures are what probe prints; the SVG's buggy panel says it shows the bug."""

from __future__ import annotations

import re
import shlex

from probe.report.svg import render_svg
from tests.conftest import ROOT, SCENARIOS
from tests.helpers import invoke


def _blocks() -> list[tuple[list[str], str]]:
    from tests.helpers import manual_text

    text = manual_text()
    found = re.findall(r"<!-- figures: (.+?) -->\n```\n(.*?)```\n", text, flags=re.S)
    return [(shlex.split(command), block) for command, block in found]


def test_the_readme_shows_the_issue_figures_exactly_as_compare_prints_them() -> None:
    blocks = _blocks()
    assert blocks, "the README lost its figures block"
    for command, block in blocks:
        assert command[0] == "probe"
        code, out, _ = invoke(*command[1:])
        assert code == 0 and out == block


def test_the_readme_explains_every_column_compare_prints() -> None:
    text = (ROOT / "README.md").read_text()
    out = invoke("compare", str(SCENARIOS / "issue-bump-hold.toml"))[1]
    header = next(line for line in out.splitlines() if line.startswith("scenario"))
    for column in re.split(r"\s{2,}", header.strip()):
        assert f"| `{column}` |" in text, column
    assert "`PASS 5/5`" in text


def test_the_buggy_panel_reads_as_showing_the_bug_not_as_fine() -> None:
    from probe.cli.run import _engines, _report
    from probe.scenario.files import read_all
    from probe.strategies import REGISTRY

    loaded = read_all([(SCENARIOS / "issue-bump-hold.toml", "issue-bump-hold.toml")],
                      REGISTRY.keys())
    svg = render_svg(_report(loaded, _engines(None, None))[0])
    labels = re.findall(r'fill="(#[0-9a-f]{6})">(PASS[^<]*|FAIL)</text>', svg)
    # buggy's panel first, then fixed's: green only where the design behaves well.
    assert labels == [("#a35a00", "PASS: shows the bug, as expected"), ("#0f7b5f", "PASS")]


def test_the_site_home_is_the_readme_with_links_into_the_site() -> None:
    """docs/index.md is the README as the site shows it: only the page links differ."""
    readme = (ROOT / "README.md").read_text().replace("](docs/", "](")
    readme = readme.replace(
        "(`pip install '.[docs]' && mkdocs serve`,\nor read the pages as they are)",
        "(`pip install '.[docs]' && mkdocs serve`)",
    )
    assert (ROOT / "docs" / "index.md").read_text() == readme


def test_the_manual_cites_nothing_outside_the_clone() -> None:
    from tests.helpers import manual_text

    text = manual_text()
    for outside in ("../shared", "SPEC.md", "ERAS.md", "STYLE.md", "SCENARIOS.md", "FAILURES.md"):
        assert outside not in text, outside


def test_every_page_of_the_manual_is_in_the_site_and_linked_from_the_readme() -> None:
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    site = (ROOT / "mkdocs.yml").read_text()
    readme = (ROOT / "README.md").read_text()
    for page in pages:
        assert f": {page}" in site, page
        if page != "index.md":
            assert f"(docs/{page})" in readme, page
