"""Where credentials may go: a stack is untrusted, so a target that names a workspace `host`
or `profile` is connected to only when the host it leads to is one the operator chose.

The operator's hosts: `DATABRICKS_HOST` when the environment sets it (the host its
credentials are for), otherwise the hosts of the profiles in the operator's Databricks config
file; plus any given with `--allow-host` or `PROVISIONER_ALLOW_HOSTS` (comma-separated).
The host a target leads to is found as databricks-sdk finds it (explicit `host`, then the
environment, then the profile), before any request is made.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from provisioner.diagnostics import error
from provisioner.errors import UserError

ALLOW_HOSTS_ENV = "PROVISIONER_ALLOW_HOSTS"


def normalize(host: str) -> str:
    """`scheme://host[:port]`, lower case, as the SDK would reach it (https by default)."""
    parts = urlsplit(host.strip() if "://" in host else f"https://{host.strip()}")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def check(host: str | None, profile: str | None, *, target: str, allowed: Iterable[str] = (),
          environ: Mapping[str, str] | None = None) -> None:
    """Raise UserError, before any request, when the target's `host`/`profile` would send the
    operator's credentials to a host the operator did not choose."""
    if not host and not profile:
        return  # the environment's own auth: nothing comes from the stack
    environ = os.environ if environ is None else environ
    profiles = _profile_hosts(environ)
    env_host = environ.get("DATABRICKS_HOST")
    chosen = profile or environ.get("DATABRICKS_CONFIG_PROFILE") or "DEFAULT"
    leads_to = host or env_host or profiles.get(chosen)
    if not leads_to:
        return  # no host at all: the SDK fails on its own, before any request
    operator = {env_host} if env_host else set(profiles.values())
    operator |= {*allowed, *environ.get(ALLOW_HOSTS_ENV, "").split(",")}
    if normalize(leads_to) in {normalize(h) for h in operator if h and h.strip()}:
        return
    named = f"host {leads_to}" if host else f"profile '{profile}' (host {leads_to})"
    where = (f"the environment's credentials are for {normalize(env_host)}" if env_host
             else "it is not a host of the profiles in the Databricks config file")
    raise UserError([error(
        f"target '{target}' names {named}, which the operator has not allowed: {where}",
        hint=f"if this stack is trusted, allow the host with --allow-host {normalize(leads_to)} "
             f"or {ALLOW_HOSTS_ENV}={normalize(leads_to)} (see docs/security.md)")])


def _profile_hosts(environ: Mapping[str, str]) -> dict[str, str]:
    """Profile name -> host in the operator's config file (`DATABRICKS_CONFIG_FILE`, else
    `~/.databrickscfg`); each profile on its own, as the SDK reads them."""
    path = Path(environ.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path.expanduser())
    except (configparser.Error, OSError, UnicodeDecodeError):
        return {}  # the SDK reports a broken file itself
    sections = {name: dict(parser._sections[name]) for name in parser.sections()}  # noqa: SLF001 - without DEFAULT's values, as the SDK does
    sections["DEFAULT"] = dict(parser.defaults())
    return {name: values["host"] for name, values in sections.items() if values.get("host")}
