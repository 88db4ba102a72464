"""Template processes: spawned early or on first use, refused once, ended together."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from jupyter_env_manager.kernels import templates
from jupyter_env_manager.kernels.templates import (
    TemplateUnavailable,
    spawn_template,
    template_for,
)

from .conftest import make_venv

pytestmark = pytest.mark.usefixtures("clean_kernel_environ")


def test_interpreter_without_ipykernel_is_refused_once(tmp_path: Path) -> None:
    make_venv(tmp_path / "bare", ipykernel=False)
    interpreter = [str(tmp_path / "bare" / "bin" / "python")]
    env = {"PATH": os.environ["PATH"]}
    with pytest.raises(TemplateUnavailable, match="ipykernel is not importable"):
        template_for(interpreter, env)
    # Remembered, not started again: with the interpreter gone a new start would fail
    # another way.
    (tmp_path / "bare" / "bin" / "python").unlink()
    with pytest.raises(TemplateUnavailable, match="ipykernel is not importable"):
        template_for(interpreter, env)
    spawn_template(interpreter, env)  # nor spawned early
    assert not templates._templates
    templates.close_templates()


def test_a_template_spawned_early_is_the_one_its_kernels_get() -> None:
    interpreter, env = [sys.executable], dict(os.environ)
    spawn_template(interpreter, env)
    (early,) = templates._templates.values()
    assert not early.ready  # the spawn does not wait for the template's imports
    spawn_template(interpreter, env)  # a second spawn for the same key adds nothing
    assert list(templates._templates.values()) == [early]
    template = template_for(interpreter, env)
    assert template is early and template.ready
    process = psutil.Process(template.pid)
    assert process.ppid() == os.getpid()
    templates.close_templates()
    assert not process.is_running()


def test_a_template_that_cannot_be_spawned_is_reported_by_the_start_that_needs_it(
    tmp_path: Path,
) -> None:
    interpreter, env = [str(tmp_path / "no-python")], dict(os.environ)
    spawn_template(interpreter, env)  # an early guess never fails its caller
    with pytest.raises(TemplateUnavailable, match="no-python"):
        template_for(interpreter, env)
    templates.close_templates()


def test_request_listeners_hear_a_start_reach_its_template_before_it_is_ready() -> None:
    interpreter, env = [sys.executable], dict(os.environ)
    heard: list[bool] = []

    def listener() -> None:
        (template,) = templates._templates.values()
        heard.append(template.ready)

    stop_listening = templates.on_template_request(listener)
    try:
        template_for(interpreter, env)
        template_for(interpreter, env)  # a running template is reached too
    finally:
        stop_listening()
    assert heard == [False, True]
    templates.close_templates()
    template_for(interpreter, env)  # a listener removed hears no later start
    assert heard == [False, True]
    templates.close_templates()
