#!/usr/bin/env python3
"""Render each role's variable tables in its README.md from meta/argument_specs.yml.

The README keeps its prose; only the text between the markers

    <!-- BEGIN generated: variables -->
    <!-- END generated -->

is replaced: one Markdown table per entry point (name, type, default, required, description,
no_log). ``<!-- BEGIN generated: variables ENTRY -->`` renders only entry point ENTRY.
An entry point that takes every option of ``main`` unchanged lists only its own options.

Usage: scripts/role_docs.py [--check] [--roles-dir DIR] [ROLE...]
  (no option)  rewrite the READMEs
  --check      change nothing; print a diff and exit 1 when a README is not current
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

import yaml

BEGIN = re.compile(r"^<!-- BEGIN generated: variables(?: (?P<entry>[\w-]+))? -->$", re.MULTILINE)
END = "<!-- END generated -->"
NOTE = "<!-- Generated from meta/argument_specs.yml by scripts/role_docs.py: edit the spec, then run it. -->"
HEADER = ("Variable", "Type", "Default", "Required", "Description", "no_log")
# Ansible documentation markup (ansible-doc's) -> Markdown.
MARKUP = (
    (re.compile(r"\bL\(([^)]+?),\s*([^)]+)\)"), r"[\1](\2)"),
    (re.compile(r"\bU\(([^)]+)\)"), r"<\1>"),
    (re.compile(r"\bI\(([^)]+)\)"), r"*\1*"),
    (re.compile(r"\bB\(([^)]+)\)"), r"**\1**"),
    # C(f(x)) keeps its balanced inner parentheses (one level).
    (re.compile(r"\b(?:C|O|V|M|E|RV)\(((?:[^()]|\([^()]*\))*)\)"), r"`\1`"),
    (re.compile(r"HORIZONTALLINE"), ""),
)


class RoleDocsError(Exception):
    pass


def markdown(text):
    """Ansible doc markup of one description string as inline Markdown, safe inside a table cell."""
    text = " ".join(str(text).split())
    for pattern, replacement in MARKUP:
        text = pattern.sub(replacement, text)
    return text.replace("|", "\\|")


def description(option):
    value = option.get("description", "")
    parts = value if isinstance(value, list) else [value]
    text = " ".join(markdown(part) for part in parts if part)
    if option.get("choices"):
        text += (" " if text else "") + "Choices: " + ", ".join(code(c) for c in option["choices"]) + "."
    return text


def code(value):
    """A value as it would be written in YAML, in backticks (empty string: ``""``)."""
    if isinstance(value, str):
        shown = value if value else '""'
    else:
        shown = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
        shown = shown.removesuffix("\n...").removesuffix("...").strip()
    shown = shown.replace("|", "\\|")
    fence = "``" if "`" in shown else "`"
    pad = " " if "`" in shown else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def type_of(option):
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements"):
        return f"list of {option['elements']}"
    return kind


def table(options):
    rows = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for name, spec in options.items():
        option = spec or {}
        cells = (
            f"`{name}`",
            type_of(option),
            code(option["default"]) if "default" in option else "",
            "yes" if option.get("required") else "",
            description(option),
            "yes" if option.get("no_log") else "",
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def entry_point_section(specs, entry, heading):
    spec = specs[entry]
    options = spec.get("options") or {}
    lines = []
    if heading:
        title = f"Entry point `{entry}`"
        if entry != "main":
            title += f" (`tasks_from: {entry}`)"
        lines.append(f"#### {title}")
        lines.append("")
        if spec.get("short_description"):
            lines += [markdown(spec["short_description"]), ""]
    main = specs.get("main", {}).get("options") or {}
    inherited = entry != "main" and main and all(options.get(name) == value for name, value in main.items())
    if inherited:
        options = {name: value for name, value in options.items() if name not in main}
        intro = "Takes every variable of `main`, and:" if options else "Takes every variable of `main`."
        lines += [intro, ""]
    if options:
        lines.append(table(options))
    return "\n".join(lines).rstrip("\n")


def render(specs, entry=None):
    """The generated block's content for one entry point, or for all of them."""
    if entry is not None:
        if entry not in specs:
            raise RoleDocsError(f"no entry point {entry!r} in the argument specs (have: {', '.join(specs)})")
        return entry_point_section(specs, entry, heading=False)
    entries = list(specs)
    heading = entries != ["main"]
    return "\n\n".join(entry_point_section(specs, name, heading) for name in entries)


def update_readme(text, specs, readme="README.md"):
    """``text`` with every generated block rendered again from ``specs``."""
    output, position, blocks = [], 0, 0
    for match in BEGIN.finditer(text):
        if match.start() < position:
            continue
        end = text.find(END, match.end())
        if end < 0:
            raise RoleDocsError(f"{readme}: {match.group(0)} has no {END}")
        nested = BEGIN.search(text, match.end(), end)
        if nested:
            raise RoleDocsError(f"{readme}: {nested.group(0)} inside another generated block")
        body = render(specs, match.group("entry"))
        output += [text[position : match.end()], "\n", NOTE, "\n\n", body, "\n\n"]
        position = end
        blocks += 1
    if not blocks:
        raise RoleDocsError(f"{readme}: no '<!-- BEGIN generated: variables -->' marker")
    output.append(text[position:])
    return "".join(output)


def role_readme(role_dir):
    specs_file = role_dir / "meta" / "argument_specs.yml"
    specs = yaml.safe_load(specs_file.read_text(encoding="utf-8"))["argument_specs"]
    readme = role_dir / "README.md"
    if not readme.is_file():
        raise RoleDocsError(f"{readme}: missing")
    current = readme.read_text(encoding="utf-8")
    return readme, current, update_readme(current, specs, str(readme))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="print a diff and exit 1 if a README is stale")
    parser.add_argument("--roles-dir", type=Path, default=Path(__file__).resolve().parents[1] / "roles")
    parser.add_argument("roles", nargs="*", help="roles to render (default: every role with argument specs)")
    args = parser.parse_args(argv)
    roles = args.roles or sorted(
        p.name for p in args.roles_dir.iterdir() if (p / "meta" / "argument_specs.yml").is_file()
    )
    status = 0
    for role in roles:
        try:
            readme, current, wanted = role_readme(args.roles_dir / role)
        except (RoleDocsError, OSError, yaml.YAMLError, KeyError) as error:
            print(f"role_docs: {role}: {error}", file=sys.stderr)
            status = 1
            continue
        if current == wanted:
            continue
        if args.check:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True), wanted.splitlines(keepends=True),
                    f"{readme} (current)", f"{readme} (generated)",
                )
            )
            print(f"role_docs: {readme} is stale: run python scripts/role_docs.py", file=sys.stderr)
            status = 1
        else:
            readme.write_text(wanted, encoding="utf-8")
            print(f"role_docs: wrote {readme}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
