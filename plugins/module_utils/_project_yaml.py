# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""rockcraft.yaml loaded with bounds: PyYAML's safe loader, after a check of its event stream.

A safe loader alone still lets a 1 KB file expand to gigabytes (aliases of aliases, "billion
laughs") or recurse past Python's limit (deeply nested flow collections). ``load``:

- first walks the parser's events (``check_events``): counts the nodes of the document, an alias
  counting as many nodes as its anchored node holds, and stops past ``LIMITS.yaml_nodes``; refuses an
  alias to a node still open (a self-reference); stops past ``LIMITS.yaml_depth`` levels of nesting,
  long before any recursion limit;
- then loads with ``BoundedLoader``, whose construct_mapping hook refuses duplicate keys.
  Rockcraft loads its project file with craft-application's ``safe_yaml_load``, whose loader
  raises "Duplicate <key> key found" on a duplicate key (plain PyYAML keeps the last value
  silently); this does at least that, naming the key and its line.

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
    # libyaml's parser and composer when present (the pure-Python scanner takes seconds on a long
    # rockcraft.yaml); the bounds are checked on the event stream first, so the recursive composer
    # only ever sees a document within LIMITS.yaml_depth.
    _BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class BoundedLoader(_BASE_LOADER):
        """The safe loader, refusing duplicate keys (hook: construct_mapping)."""

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
            return _BASE_LOADER.construct_mapping(self, node, deep=deep)


def check_events(text):
    """Walk the event stream (PyYAML's parser, no composing) and refuse a document nested deeper
    than LIMITS.yaml_depth or expanding to more than LIMITS.yaml_nodes nodes, an alias counting
    as many nodes as its anchored node holds; an alias to a node still open (a self-reference) is
    refused. Linear in the size of the text, no recursion."""
    nodes = 0
    depth = 0
    sizes = {}
    open_anchors = []  # (anchor, nodes before it) of the collections being read

    def count(amount, mark):
        if nodes + amount > LIMITS.yaml_nodes:
            raise YamlLimitError(
                "expands to more than %d nodes (at %s), an alias (*name) counting as the nodes it repeats: "
                "an alias bomb, or a document far larger than any rockcraft.yaml"
                % (LIMITS.yaml_nodes, _line(mark))
            )
        return nodes + amount

    for event in yaml.parse(text, Loader=_BASE_LOADER):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                if any(anchor == event.anchor for anchor, _before in open_anchors):
                    raise YamlLimitError(
                        "the alias *%s at %s refers to the node that contains it (a recursive alias)"
                        % (event.anchor, _line(event.start_mark))
                    )
                continue  # an undefined alias: the loader reports it
            nodes = count(sizes[event.anchor], event.start_mark)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > LIMITS.yaml_depth:
                raise YamlLimitError(
                    "is nested deeper than %d levels (at %s)" % (LIMITS.yaml_depth, _line(event.start_mark))
                )
            open_anchors.append((event.anchor, nodes))
            nodes = count(1, event.start_mark)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
            anchor, before = open_anchors.pop()
            if anchor is not None:
                sizes[anchor] = nodes - before
        elif isinstance(event, yaml.ScalarEvent):
            nodes = count(1, event.start_mark)
            if event.anchor is not None:
                sizes[event.anchor] = 1


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
        if isinstance(value, bytes):
            raise YamlLimitError(
                "%s holds binary data (!!binary): the collection's output is text; use a string"
                % (where or "the document")
            )
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
    check_events(text)
    loader = BoundedLoader(text)
    try:
        data = loader.get_single_data()
    except RecursionError:
        raise YamlLimitError("is nested too deeply to load") from None
    except (ValueError, OverflowError, TypeError) as err:
        # A scalar its tag cannot hold: an integer of more than 4,300 digits, 2001-13-45 as a date...
        raise YamlLimitError(
            "holds a value that cannot be read: %s" % " ".join(str(err).split())[:200]
        ) from None
    finally:
        loader.dispose()
    check_strings(data)
    return data
