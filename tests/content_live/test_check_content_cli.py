"""flask check-content: every problem of a content folder, one per line, and the exit code."""

from __future__ import annotations

import shutil

from couples.content import PACKAGED_FOLDER
from couples.services.plans import library


def test_the_packaged_library_is_valid(runner):
    result = runner.invoke(args=["check-content"])

    assert result.exit_code == 0, result.output
    counts = f"{len(library().exercises)} exercises, {len(library().plans)} plans"
    assert result.output.strip() == f"Content is valid: {counts}"


def test_a_broken_folder_lists_every_problem_and_fails(runner, tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(PACKAGED_FOLDER, folder)
    timer = folder / "exercises" / "breathing-pause.toml"
    timer.write_text(timer.read_text().replace('kind = "timer"', 'kind = "dance"'))
    (folder / "plans" / "lost.toml").write_text(
        'id = "lost"\ntitle = "Lost"\ndescription = "Refers to nothing."\nminutes = 5\nexercises = ["check-in", "nowhere"]\n'
    )
    (folder / "plans" / "custom-7.toml").write_text(
        'id = "custom-7"\ntitle = "Clash"\ndescription = "Looks like a counselor plan."\nminutes = 5\nexercises = ["check-in"]\n'
    )

    result = runner.invoke(args=["check-content", str(folder)])

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith('exercises/breathing-pause.toml: steps[0].kind: expected one of "read"')
    assert "plans/lost.toml: exercises[1]: expected the id of an existing exercise (there is no 'nowhere')" in lines
    assert "plans/custom-7.toml: id: expected an id not starting with 'custom-' (kept for counselors' own plans)" in lines
    assert len(lines) == 3
    assert "Content is valid" not in result.output


def test_a_missing_folder_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(args=["check-content", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
