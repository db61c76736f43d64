"""`nnstudio FILE --expand GROUP`: the window opens with that group of repeated blocks expanded; a name
no group has is refused in one line that lists the groups there are."""

from __future__ import annotations

import pytest

from nnstudio.core.project import save_project
from tests.core.applications_topology import application_model
from tests.test_cli_screenshot_size import run


@pytest.mark.engine
@pytest.mark.cli
def test_an_unknown_group_is_refused_with_the_names_there_are(tmp_path):
    project = tmp_path / "resnet50.nnstudio"
    save_project(project, application_model("ResNet50"))
    png = tmp_path / "x.png"
    out = run(["--screenshot", str(png), "--expand", "conv9", str(project)], tmp_path)
    assert out.returncode == 1
    assert "no group of repeated blocks is named 'conv9' (groups: conv2, conv3, conv4, conv5)" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not png.exists()


@pytest.mark.cli
def test_expand_is_in_the_help(tmp_path):
    out = run(["--help"], tmp_path, timeout=60)
    assert out.returncode == 0 and "--expand GROUP" in out.stdout
