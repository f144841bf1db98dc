# -*- coding: utf-8 -*-
# Copyright: flaskrock.paas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: runtime_contract
short_description: The runtime contract of a flaskrock.paas rock (user, ports, paths, label names)
version_added: 0.2.0
description:
  - Returns one dictionary with every constant of the rock's runtime contract, the way roles and
    templates read them (uid and gid 584792, Gunicorn port 8000, statsd-exporter port 9102, the
    C(/<framework>/app) paths and the C(io.flaskrock.paas.*) label names).
  - The values live in one Python module of the collection; nothing else writes them out.
author:
  - flaskrock.paas developers (@flaskrock)
options:
  _terms:
    description: The framework name (default C(flask)); at most one.
    type: list
    elements: str
    required: false
"""

EXAMPLES = r"""
- name: Show the app directory of a Flask rock
  ansible.builtin.debug:
    msg: "{{ lookup('flaskrock.paas.runtime_contract').app_dir }}"
"""

RETURN = r"""
_raw:
  description: One dictionary (keys C(uid), C(gid), C(http_port), C(app_dir), C(labels), ...).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible_collections.flaskrock.paas.plugins.module_utils._runtime import (  # noqa: E402
    DEFAULT_FRAMEWORK,
    contract,
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) > 1:
            raise AnsibleError("runtime_contract takes at most one framework name, got %d" % len(terms))
        return [contract(terms[0] if terms else DEFAULT_FRAMEWORK)]
