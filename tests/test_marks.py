"""Every test that runs a real crawl is marked e2e, so `-m 'not e2e'` is the fast set and
`-m e2e` runs the end-to-end tests alone.

A test runs a crawl when it, or a fixture or helper it uses (by name, across the test
modules), calls one of the crawl drivers below.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# What starts `scrapy crawl` processes (or a fleet of them) against a loopback site.
CRAWL_DRIVERS = frozenset({"crawl_command", "crawl", "fleet_crawl", "run_fleet"})


def _modules() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text("utf-8")) for p in sorted(TESTS.glob("test_*.py"))}


def _functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef)]


def _uses(fn: ast.FunctionDef) -> set[str]:
    """Names `fn` calls, and the fixtures it asks for."""
    called = {
        n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return called | {a.arg for a in fn.args.args}


def _crawling_names(modules: dict[Path, ast.Module]) -> set[str]:
    fns = [fn for tree in modules.values() for fn in _functions(tree)]
    crawling = set(CRAWL_DRIVERS)
    while True:
        more = {fn.name for fn in fns if fn.name not in crawling and _uses(fn) & crawling}
        if not more:
            return crawling
        crawling |= more


def _is_e2e(node: ast.expr) -> bool:
    return ast.unparse(node).startswith("pytest.mark.e2e")


def _module_marked(tree: ast.Module) -> bool:
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets
        ):
            values = n.value.elts if isinstance(n.value, ast.List | ast.Tuple) else [n.value]
            if any(_is_e2e(v) for v in values):
                return True
    return False


def test_every_test_that_runs_a_crawl_is_marked_e2e():
    modules = _modules()
    crawling = _crawling_names(modules)
    unmarked = [
        f"{path.name}::{fn.name}"
        for path, tree in modules.items()
        if not _module_marked(tree)
        for fn in _functions(tree)
        if fn.name.startswith("test_")
        and (_uses(fn) & crawling)
        and not any(_is_e2e(d) for d in fn.decorator_list)
    ]
    assert unmarked == []


def test_the_rule_sees_the_crawl_tests():
    crawling = _crawling_names(_modules())
    assert "crawl" in crawling
