"""Hostile input (issue 9): a config.json nested 300,000 levels deep is
refused with an error naming the limit before anything exists, and
`delete -f` removes a container whose stored config is such a text."""

import json
import os

import pytest

from conftest import IS_RUNC

DEPTH = 300000


def deep_value():
    return "[" * DEPTH + "]" * DEPTH


@pytest.mark.skipif(IS_RUNC, reason="our limit and message")
def test_deep_config_refused(runtime, bundle):
    bundle.write()
    with open(bundle.config_path) as f:
        text = f.read()
    # an unknown member: runtimes ignore those, so only the depth is wrong
    text = text.rstrip().rstrip("}") + ', "x-deep": ' + deep_value() + "}"
    with open(bundle.config_path, "w") as f:
        f.write(text)
    runtime.bundles.append(bundle)
    cid = runtime.new_id()
    r = runtime.cmd("run", "--bundle", bundle.path, cid, timeout=60)
    assert r.rc == 1, r
    assert "config.json" in r.err and "nested deeper than 1000 levels" in r.err, r.err
    assert not os.path.exists(os.path.join(runtime.root, cid))


@pytest.mark.skipif(IS_RUNC, reason="our state layout")
def test_delete_force_with_deep_stored_config(runtime, bundle):
    bundle.set_args("sleep", "100")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    stored = os.path.join(runtime.root, cid, "config.json")
    with open(stored) as f:
        cfg = json.load(f)
    text = json.dumps(cfg).rstrip("}") + ', "x-deep": ' + deep_value() + "}"
    with open(stored, "w") as f:
        f.write(text)
    r = runtime.cmd("delete", "--force", cid, timeout=60)
    assert r.rc == 0, r
    assert not os.path.exists(os.path.join(runtime.root, cid)), r
    r = runtime.cmd("state", cid)
    assert r.rc != 0, r
