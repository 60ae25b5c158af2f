"""The tree and its documentation agree (issue 16): docs/architecture.md
names every source file of libcrun/, and crun.1 names every command and
global option `crun --help` prints."""

import glob
import os
import re
import subprocess

import pytest

from conftest import CRUN, IS_RUNC, REPO


def test_architecture_lists_every_library_file():
    with open(os.path.join(REPO, "docs", "architecture.md")) as f:
        doc = f.read()
    missing = [os.path.basename(p) for p in glob.glob(os.path.join(REPO, "libcrun", "*.c"))
               if "libcrun/" + os.path.basename(p) not in doc]
    assert not missing, missing


@pytest.mark.skipif(IS_RUNC or os.environ.get("CRUN_REFERENCE"), reason="our man page and --help")
def test_man_page_matches_help():
    out = subprocess.run([CRUN, "--help"], capture_output=True, text=True, check=True).stdout
    with open(os.path.join(REPO, "crun.1")) as f:
        man = f.read().replace("\\-", "-")
    options = set(re.findall(r"--([a-z][a-z-]+)", out)) - {"help", "usage", "version"}
    commands = set(re.findall(r"^\t([a-z]+)\s+- ", out, re.M))
    assert len(commands) > 10 and len(options) > 5, (commands, options)
    missing = sorted([o for o in options if "--" + o not in man] + [c for c in commands if "\\fB%s\\fR" % c not in man])
    assert not missing, missing
