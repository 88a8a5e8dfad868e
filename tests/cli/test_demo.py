"""`make demo`: the demo module end to end, with a faster emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from layer_client import demo
from layer_client.emulator import EmulatorConfig


def test_demo_saves_two_pngs(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        demo, "DEMO_EMULATOR", EmulatorConfig(min_duration=0.0, max_duration=0.0)
    )

    status = demo.main()

    assert status == 0
    saved = sorted((tmp_path / "demo-output").iterdir())
    assert len(saved) == 2
    assert all(path.read_bytes().startswith(demo.PNG_SIGNATURE) for path in saved)
    out = capsys.readouterr().out
    assert "$ layer-client styles" in out
    assert "$ layer-client generate --style sty_0001" in out
    assert "Demo done: 2 PNG files in demo-output/." in out
