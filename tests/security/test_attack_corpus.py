"""The attack corpus (docs/security.md): stacks written as an attacker would write them to a
pull request, each run through the command a CI job runs. Every case must end in a clear exit 1
naming the problem, with nothing run (no marker file, no request to the attacker's host) and
nothing leaked (no canary in any output or in any file the run wrote).

A case is data: its `stack.yaml`, more files and links, the command, and the words the error
must say. `{marker}` (a file a successful gadget would create), `{trap}` (the URL of a server
that records every request) and `{canary}` are filled in before the stack is written.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from provisioner.cli.main import run

CANARY = "canary-5f3e9a1c"
SECRETS = {  # what a CI runner's environment holds while it plans a pull request
    "DATABRICKS_TOKEN": f"dapi-{CANARY}-databricks",
    "GITHUB_TOKEN": f"ghs_{CANARY}-github",
    "AWS_SECRET_ACCESS_KEY": f"{CANARY}-aws",
    "DEPLOY_PASSWORD": f"{CANARY}-password",
}
POPEN = "__import__('os').popen('touch {marker}').read()"


@dataclass(frozen=True)
class Attack:
    name: str
    stack: str
    says: str
    command: tuple[str, ...] = ("validate",)
    files: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    """path in the stack folder -> what it links to (`{outside}` is a folder beside the repo)."""
    env: dict[str, str] = field(default_factory=dict)
    stdout_must_not: tuple[str, ...] = ()


def tagged(value: str, *, head: str = "") -> str:
    """A stack whose one resource carries `value` as a tag (a string the loader renders)."""
    return (f"stack: attack\n{head}resources:\n  vector_search_endpoints:\n    vs:\n"
            f"      endpoint_type: STANDARD\n      custom_tags: {{t: {value}}}\n")


def filled(text: str, fill: dict[str, str]) -> str:
    """`text` with `{name}` placeholders replaced (not str.format: templates hold braces)."""
    for name, value in fill.items():
        text = text.replace("{" + name + "}", value)
    return text


def templated(template: str, *, head: str = "") -> str:
    return tagged('"' + template.replace("\\", "\\\\").replace('"', '\\"') + '"', head=head)


EVIL_TARGET = "targets:\n  evil:\n    workspace: {host: '{trap}'}\n"

ATTACKS = [
    # -- template gadgets: each reaches for code and must reach nothing --------------------
    Attack("cycler-globals", templated("{{ cycler.__init__.__globals__.os.popen('id').read() }}"),
           "access to attribute '__init__' of 'StrictUndefined' object is unsafe"),
    Attack("lipsum-globals", templated("{{ lipsum.__globals__['os'].popen('id').read() }}"),
           "undefined template name 'lipsum'"),
    Attack("self-reference", templated("{{ self.__init__.__globals__ }}"),
           "access to attribute '__init__' of 'TemplateReference' object is unsafe"),
    Attack("str-class-mro", templated("{{ ''.__class__.__mro__[1].__subclasses__() }}"),
           "access to attribute '__class__' of 'str' object is unsafe"),
    Attack("format-gadget", templated("{{ '{0.__class__.__init__.__globals__}'.format(1) }}"),
           "calling 'format' is not available in stack templates"),
    Attack("attr-filter", templated("{{ ''|attr('__class__') }}"), "No filter named 'attr'"),
    Attack("namespace-global", templated("{{ namespace(x=1) }}"),
           "undefined template name 'namespace'"),
    Attack("loop-cycle-call", templated("{% for i in [1] %}{{ loop.cycle('a') }}{% endfor %}"),
           "calling 'cycle' is not available in stack templates"),
    Attack("list-mutation", templated("{{ [].append(1) }}"),
           "access to attribute 'append' of 'list' object is unsafe"),
    Attack("var-gadget", templated("{{ var.__class__ }}"),
           "undefined template value 'var.__class__'"),
    Attack("eval-in-variable", templated("{{ var.x.__init__ }}",
                                         head="variables:\n  x: {default: a}\n"),
           "access to attribute '__init__' of 'str' object is unsafe"),
    Attack("popen-through-undefined", templated("{{ " + POPEN + " }}"),
           "undefined template name '__import__'"),
    Attack("macro", templated("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"),
           "`{% macro %}` is not available in stack templates"),
    Attack("jinja-include", templated("{% include '/etc/passwd' %}"),
           "`{% include %}` is not available in stack templates"),
    Attack("jinja-import", templated("{% import 'os' as os %}"),
           "`{% import %}` is not available in stack templates"),
    Attack("jinja-extends", templated("{% extends '/etc/hosts' %}"),
           "`{% extends %}` is not available in stack templates"),
    Attack("set-block", templated("{% set x %}{{ 1 }}{% endset %}"),
           "`{% set ... endset %}` is not available in stack templates"),
    Attack("percent-format", templated("{{ '%0999999999d' % 1 }}"),
           "`%` string formatting is not available"),
    # -- resource exhaustion ------------------------------------------------------------
    Attack("huge-range", templated("{% for i in range(10**12) %}x{% endfor %}"),
           "range of 1000000000000 items is more than 10000"),
    Attack("nested-loops", templated(
        "{% for a in range(9000) %}{% for b in range(9000) %}{% endfor %}{% endfor %}"),
        "loops ran more than 10000 iterations"),
    Attack("string-times", templated("{{ 'x' * 10**9 }}"),
           "a value of 1000000000 characters would be larger than 100000"),
    Attack("huge-power", templated("{{ 7 ** 99999999 }}"), "is larger than 4096 bits"),
    Attack("replace-blowup", templated("{{ ('a' * 90000) | replace('a', 'bbbbbbbbbb') }}"),
           "would be larger than 100000"),
    Attack("join-blowup", templated("{{ range(9000) | join('x' * 90000) }}"),
           "would be larger than 100000"),
    Attack("concat-blowup", templated("{% set s = 'x' * 60000 %}{{ s ~ s ~ s }}"),
           "would be larger than 100000"),
    Attack("output-blowup", templated("{% for i in range(9000) %}{{ 'y' * 50 }}{% endfor %}"),
           "would be larger than 100000"),
    Attack("cpu-burn", templated(
        "{% for i in range(9999) %}{% set x = ('ab' * 49999) | list | sort %}{% endfor %}"),
        "took more than 1s of CPU"),
    Attack("parenthesis-depth", templated("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"),
           "template error: nested too deeply"),
    Attack("yaml-alias-bomb", "stack: bomb\nlols: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)), "once aliases are expanded"),
    # -- the environment ---------------------------------------------------------------
    Attack("env-undeclared", templated("{{ env.DATABRICKS_TOKEN }}"),
           "environment variable 'DATABRICKS_TOKEN' is not declared"),
    Attack("env-declared-credential", templated(
        "{{ env.DATABRICKS_TOKEN }}", head="env: [DATABRICKS_TOKEN]\n"),
        "'DATABRICKS_TOKEN' may hold a credential: stacks cannot read it"),
    Attack("env-declared-ci-token", tagged("x", head="env: [GITHUB_TOKEN, DEPLOY_PASSWORD]\n"),
           "'GITHUB_TOKEN' may hold a credential"),
    Attack("env-whole-list", templated("{{ env | list }}"), "'Environ' object is not iterable"),
    Attack("env-whole-json", templated("{{ env | tojson }}"),
           "Object of type Environ is not JSON serializable"),
    Attack("env-items", templated("{{ env.items() }}"),
           "environment variable 'items' is not declared"),
    Attack("env-through-variable", tagged("x", head="variables:\n  n: {type: number}\n"),
           "variable 'n' from --var: the text given is not a valid number",
           command=("validate", "--var", f"n={CANARY}")),
    Attack("variable-map-echo", tagged("x", head="variables:\n  n: {type: number}\n"
                                       "targets:\n  local:\n    variables:\n"
                                       f"      n: {{k: {CANARY}}}\n"),
           "variable 'n' from target 'local': expected a number, got a mapping"),
    Attack("sensitive-wrong-type", "stack: attack\nresources:\n  external_models:\n    chat:\n"
           "      provider: openai\n      model: gpt-4o\n      task: llm/v1/chat\n"
           f"      config: {{openai_api_key_plaintext: {{k: {CANARY}}}}}\n",
           "openai_api_key_plaintext: Input should be a valid string"),
    # -- files: includes, links, paths fields name --------------------------------------
    Attack("include-absolute", tagged("x", head="include: ['/etc/passwd']\n"),
           "include '/etc/passwd' must be a relative path"),
    Attack("include-parent", tagged("x", head="include: ['../../../outside/*.yaml']\n"),
           "include '../../../outside/*.yaml' reaches outside the stack's folder"),
    Attack("include-dotdot-after-wildcard", tagged("x", head="include: ['*/../../../outside/*']\n"),
           "may not use '..' after a wildcard"),
    Attack("include-link-out", tagged("x", head="include: ['more/*.yaml']\n"),
           "matches 'more/secret.yaml', a link to a file outside the stack's folder",
           links={"more/secret.yaml": "{outside}/secret.yaml"}),
    Attack("include-link-loop", tagged("x", head="include: ['**/*.yml']\n"),
           "include '**/*.yml' matches no file",
           links={"loop/a": "..", "loop/b": "..", "c": "."}),
    Attack("stack-file-link", "", "is a link to a file outside the stack's folder",
           links={"stack.yaml": "{outside}/secret.yaml"}),
    Attack("code-path-out", "stack: attack\nresources:\n  registered_models:\n    m:\n"
           "      name: main.default.m\n      flavor: langchain\n      input_example: {q: hi}\n"
           "      code: ../../../outside/chain.py\n",
           "registered_models.m.code: '../../../outside/chain.py' is outside the stack's folder"),
    Attack("code-link-out", "stack: attack\nresources:\n  registered_models:\n    m:\n"
           "      name: main.default.m\n      flavor: langchain\n      input_example: {q: hi}\n"
           "      code: chain.py\n",
           "registered_models.m.code: 'chain.py' is outside the stack's folder",
           links={"chain.py": "{outside}/chain.py"}),
    # -- names that become paths ----------------------------------------------------------
    Attack("target-name-traversal", tagged("x", head="targets:\n  ../../../x: {}\n"),
           "target name '../../../x' may hold only letters, digits"),
    Attack("stack-name-separator", "stack: ../../etc/cron.d/x\nresources: {}\n",
           "stack name '../../etc/cron.d/x' may hold only letters, digits"),
    Attack("stack-name-comment", 'stack: "x\\n<!--"\nresources: {}\n',
           "stack name 'x\\n<!--' may hold only letters, digits"),
    Attack("state-path-traversal", tagged(
        "x", head="targets:\n  prod:\n    state: workspace:/Shared/../../Users/victim\n"),
        "a state path may not hold empty, '.' or '..' segments"),
    Attack("state-folder-link", tagged("x"), "is a link: provisioner does not write state",
           command=("plan",), links={".provisioner": "{outside}"}),
    Attack("state-file-link", tagged("x"), "local.json is a link",
           command=("plan",), links={".provisioner/state/local.json": "{outside}/profile"}),
    Attack("cli-target-traversal", tagged("x"), "unknown target '../../x'",
           command=("validate", "--target", "../../x")),
    # -- host redirection: the runner's token must not reach the attacker -----------------
    Attack("host-with-token", tagged("x", head=EVIL_TARGET),
           "target 'evil' names host {trap}, which the operator has not allowed",
           command=("plan", "-t", "evil")),
    Attack("host-other-than-env", tagged("x", head=EVIL_TARGET),
           "the environment's credentials are for https://mine.cloud.databricks.com",
           command=("plan", "-t", "evil"),
           env={"DATABRICKS_HOST": "https://mine.cloud.databricks.com"}),
    Attack("profile-plus-host", tagged(
        "x", head="targets:\n  evil:\n    workspace: {profile: DEFAULT, host: '{trap}'}\n"),
        "target 'evil' names host {trap}", command=("plan", "-t", "evil")),
    Attack("host-in-generate", tagged("x", head=EVIL_TARGET),
           "which the operator has not allowed", command=("generate", "-t", "evil")),
    Attack("host-in-drift", tagged("x", head=EVIL_TARGET),
           "which the operator has not allowed", command=("drift", "-t", "evil")),
    # -- renderer injection through an error message ---------------------------------------
    Attack("annotation-injection", tagged("x").replace(
        "      endpoint_type",
        '      "bad\\n::add-mask::x\\n::error::pwned": 1\n      endpoint_type'),
        "unknown field", command=("validate", "--format", "github"),
        stdout_must_not=("\n::add-mask::", "\n::error::pwned")),
    Attack("terminal-escape", tagged("x").replace(
        "      endpoint_type", '      "\\e[2J\\e]0;pwned\\a": 1\n      endpoint_type'),
        "unknown field '\\e[2J\\e]0;pwned\\u0007'"),
    Attack("markdown-comment-in-error", tagged("x").replace(
        "      endpoint_type", '      "x\\n\\n```\\n<!--": 1\n      endpoint_type'),
        "unknown field", command=("plan", "--format", "markdown"),
        stdout_must_not=("\n<!--",)),
]


class _Trap(BaseHTTPRequestHandler):
    def _record(self) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def trap():
    """The attacker's host: records every request it receives."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def lay_out(tmp_path: Path, attack: Attack, fill: dict[str, str]) -> Path:
    """A git work tree holding the stack, and a folder of secrets beside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"stack: stolen\ntoken: {CANARY}\n")
    (outside / "chain.py").write_text(f"TOKEN = '{CANARY}'\nmlflow.models.set_model(None)\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    folder = repo / "stacks" / "attack"
    folder.mkdir(parents=True)
    if attack.stack:
        (folder / "stack.yaml").write_text(filled(attack.stack, fill))
    for name, text in attack.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(filled(text, fill))
    for name, target in attack.links.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(filled(target, {**fill, "outside": str(outside)}))
    return folder


def written_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_the_attack_is_refused_and_nothing_ran_or_leaked(attack: Attack, tmp_path, trap,
                                                         capsys, monkeypatch):
    marker = tmp_path / "PWNED"
    fill = {"marker": str(marker), "trap": f"http://127.0.0.1:{trap.server_port}",
            "canary": CANARY}
    folder = lay_out(tmp_path, attack, fill)
    before = set(written_files(tmp_path))
    for name in [k for k in os.environ if k.startswith(("PROVISIONER_", "DATABRICKS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no.databrickscfg"))
    for name, value in {**SECRETS, **attack.env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(folder)
    requests_before = len(trap.seen)
    command, *options = attack.command
    capsys.readouterr()

    code = run([command, ".", *options])

    out, err = capsys.readouterr()
    report = f"exit {code}\nstderr:\n{err}\nstdout:\n{out}"
    assert code == 1, report
    assert "Traceback" not in err and "internal error" not in err, report
    assert filled(attack.says, fill) in err + out, report
    assert not marker.exists(), "a template ran a command"
    assert len(trap.seen) == requests_before, f"the attacker's host was called: {trap.seen}"
    for secret in [CANARY, *SECRETS.values()]:
        assert secret not in out and secret not in err, f"leaked {secret!r}\n{report}"
    for path in set(written_files(tmp_path)) - before:
        assert CANARY not in path.read_text(errors="replace"), f"leaked into {path}"
        assert "outside" not in path.relative_to(tmp_path).parts, f"wrote {path}"
    assert not (tmp_path / "outside" / "profile").exists(), "wrote through a link"
    for text in attack.stdout_must_not:
        assert text not in out, f"{text!r} reached stdout\n{report}"


def test_the_corpus_is_large_enough():
    assert len(ATTACKS) >= 40
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)
