"""`probe run --record`: what each strategy did, written into the scenario's [expect.*] tables.

tomlkit edits the file as text, so every comment, blank line, key order and quoting style the
author chose stays as it was; only the recorded keys' values change (or are added). The core
of it is pure: text in, text out; the CLI reads and writes the file.
"""

from __future__ import annotations

from collections.abc import Mapping

from probe.errors import Problem, ScenarioError
from probe.run import Run
from probe.scenario.toml_lines import index_lines, line_of


def record(text: str, runs: Mapping[str, Run], *, force: bool, shown: str) -> str:
    """`text` with [expect.NAME] holding what runs[NAME] did, for each NAME.

    A table that already has expectations is replaced only with `force`; without it every such
    table is refused (one problem each, at its line) and nothing changes."""
    import tomlkit
    from tomlkit.items import InlineTable, Table

    from probe.expectations import expectation_of
    from probe.scenario.dump import expectation_table

    doc = tomlkit.parse(text)
    lines = index_lines(text)
    expect = doc.get("expect")
    if expect is not None and not isinstance(expect, Table | InlineTable):
        where = line_of(lines, "expect")
        raise ScenarioError([Problem(shown, "expect", where, "is not a table")])
    taken = [
        name
        for name in runs
        if expect is not None and name in expect and len(expect[name]) > 0
    ]
    if taken and not force:
        raise ScenarioError(
            [
                Problem(
                    shown,
                    f"expect.{name}",
                    line_of(lines, f"expect.{name}"),
                    "has expectations already; --record replaces them only with --force",
                )
                for name in taken
            ]
        )
    if expect is None:
        expect = tomlkit.table(is_super_table=True)
        doc.append("expect", expect)
    for name, run in runs.items():
        table = expect.get(name)
        if table is None:
            table = tomlkit.table()
            expect.append(name, table)
        for key, value in expectation_table(expectation_of(run)).items():
            if isinstance(value, dict):
                inline = tomlkit.inline_table()
                inline.update(value)
                table[key] = inline
            else:
                table[key] = value
    return tomlkit.dumps(doc)
