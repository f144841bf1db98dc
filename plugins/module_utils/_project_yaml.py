# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""rockcraft.yaml loaded with bounds: PyYAML's safe loader plus limits in its composer hooks.

A safe loader alone still lets a 1 KB file expand to gigabytes (aliases of aliases, "billion
laughs") or recurse past Python's limit (deeply nested flow collections). ``BoundedLoader``:

- counts the nodes of the document, an alias counting as many nodes as its anchored node holds,
  and stops past ``LIMITS.yaml_nodes``; an alias to a node still being composed (a self-reference)
  is refused;
- stops past ``LIMITS.yaml_depth`` levels of nesting, before Python's recursion limit;
- refuses duplicate keys in a mapping. Rockcraft loads its project file with craft-application's
  ``safe_yaml_load``, whose loader raises "Duplicate <key> key found" on a duplicate key (plain
  PyYAML keeps the last value silently); this does at least that, naming the key and its line.

After loading, every string is checked for lone surrogates (a double-quoted ``"\\ud800"``), which
no JSON or UTF-8 output can carry.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.flaskrock.paas.plugins.module_utils._flask_files import LIMITS

try:
    import yaml
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_YAML = True
    YAML_IMPORT_ERROR = None


class YamlLimitError(Exception):
    """The document is beyond a bound or not representable; the message says which and where."""


def _line(mark):
    return "line %d, column %d" % (mark.line + 1, mark.column + 1) if mark is not None else "unknown line"


if HAS_YAML:

    class BoundedLoader(yaml.SafeLoader):
        """yaml.SafeLoader with node, alias, depth and duplicate-key checks in its hooks."""

        def __init__(self, stream):
            yaml.SafeLoader.__init__(self, stream)
            self._nodes = 0
            self._depth = 0
            self._anchor_sizes = {}

        def _count(self, count, mark):
            self._nodes += count
            if self._nodes > LIMITS.yaml_nodes:
                raise YamlLimitError(
                    "expands to more than %d nodes (at %s): aliases (*name) repeat their anchored "
                    "node, and this document repeats too much (an alias bomb?)"
                    % (LIMITS.yaml_nodes, _line(mark))
                )

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                if event.anchor in self.anchors and event.anchor not in self._anchor_sizes:
                    raise YamlLimitError(
                        "the alias *%s at %s refers to the node that contains it (a recursive alias)"
                        % (event.anchor, _line(event.start_mark))
                    )
                self._count(self._anchor_sizes.get(event.anchor, 0), event.start_mark)
                return yaml.SafeLoader.compose_node(self, parent, index)
            event = self.peek_event()
            self._depth += 1
            if self._depth > LIMITS.yaml_depth:
                raise YamlLimitError(
                    "is nested deeper than %d levels (at %s)" % (LIMITS.yaml_depth, _line(event.start_mark))
                )
            anchor = getattr(event, "anchor", None)
            before = self._nodes
            self._count(1, event.start_mark)
            try:
                node = yaml.SafeLoader.compose_node(self, parent, index)
            finally:
                self._depth -= 1
            if anchor is not None:
                self._anchor_sizes[anchor] = self._nodes - before
            return node

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen = {}
                for key_node, _value in node.value:
                    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise YamlLimitError(
                            "duplicate key %r at %s (first at %s): Rockcraft refuses duplicate keys"
                            % (key_node.value, _line(key_node.start_mark), _line(seen[key]))
                        )
                    seen[key] = key_node.start_mark
            return yaml.SafeLoader.construct_mapping(self, node, deep=deep)


def _surrogate(text):
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return index, char
    return None


def check_strings(data, path="", seen=None):
    """Raise YamlLimitError naming the key path of the first string holding a lone surrogate."""
    stack = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            found = _surrogate(value)
            if found is not None:
                raise YamlLimitError(
                    "%s holds an invalid character (lone surrogate U+%04X at offset %d), which is not "
                    "Unicode text" % (where or "the document", ord(found[1]), found[0])
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                label = "%s.%s" % (where, key) if where else str(key)
                if isinstance(key, str) and _surrogate(key) is not None:
                    stack.append((key, "a key of %s" % (where or "the document")))
                stack.append((item, label))
        elif isinstance(value, list):
            stack.extend((item, "%s[%d]" % (where, index)) for index, item in enumerate(value))


def load(text):
    """The document of ``text`` (None when empty). Raises YamlLimitError or yaml.YAMLError."""
    loader = BoundedLoader(text)
    try:
        data = loader.get_single_data()
    except RecursionError:
        raise YamlLimitError("is nested too deeply to load") from None
    finally:
        loader.dispose()
    check_strings(data)
    return data
