"""docs/checking_gradients.md shows what the checker prints: its examples run, and print exactly the reports shown."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "checking_gradients.md"


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, content) of every fenced block, in order."""
    blocks, language, lines = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if language is None:
                language, lines = line[3:].strip(), []
            else:
                blocks.append((language, "\n".join(lines)))
                language = None
        elif language is not None:
            lines.append(line)
    return blocks


def test_the_examples_print_the_reports_the_page_shows(capsys) -> None:
    blocks = fenced_blocks(DOC.read_text())
    code = [b for lang, b in blocks if lang == "python" and "register(" not in b]
    assert len(code) >= 2
    for block in code:  # run as written (the registry example is left out: it would register an op for good)
        exec(compile(block, str(DOC), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    reports = [b.splitlines() for lang, b in blocks if lang == "" and b.startswith(("gradcheck of <lambda>",
                                                                                  "gradcheck_model of dict"))][:2]
    assert reports[0][0].startswith("gradcheck of <lambda> (order 1, full check, eps=1e-07): FAILED: 3 of 58")
    assert reports[1][0].startswith("gradcheck_model of dict (order 1, full check, eps=1e-07): FAILED: 3 of 67")
    for report in reports:
        missing = [line for line in report if line not in printed]
        assert missing == []
