"""Nothing is written before the confirmation: a declined apply leaves the state as it was
(Terraform's `apply` writes no state when its prompt is answered no). Through the real CLI
against the local workspace."""

from __future__ import annotations

import io
import sys

TAGGED = """\
stack: confirm
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/confirm/openai}}"}
      tags: {team: search}
"""


class _Terminal(io.StringIO):
    """A terminal on stdin that answers the confirmation prompt."""

    def isatty(self) -> bool:
        return True


def test_declining_the_confirmation_writes_nothing(harness, monkeypatch):
    harness.write(TAGGED)
    harness.apply()
    state_file = harness.state_dir / "local.json"
    recorded = state_file.read_bytes()
    harness.write(TAGGED.replace("team: search", "team: assistants")
                  + "      lifecycle: {prevent_destroy: true}\n")
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    declined = harness.cli("apply", str(harness.root))
    assert declined.code == 1 and "Apply these changes?" in declined.err
    assert state_file.read_bytes() == recorded  # not even prevent_destroy was recorded
