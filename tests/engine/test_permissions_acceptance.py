"""The deployer keeps managing what it deploys, as in the Databricks CLI's acceptance tests
`acceptance/bundle/resources/permissions/<kind>/current_can_manage/` (databricks/cli commit
7bbe285, `bundle/config/mutator/resourcemutator/fix_permissions.go`): the access list PUT is
the stack's with the deployer's own grant, and the plan after one apply is empty."""

from __future__ import annotations

from support.harness import sdk_client, served_workspace, writes

SERVED = ("-t", "served")
DEPLOYER = "tester@databricks.com"
PRINCIPALS = ("user_name", "group_name", "service_principal_name")
SP = "f37d18cd-98a8-4db5-8112-12dd0a6bfe38"

STACK = """\
stack: acceptance
resources:
  {kind}:
    foo:
{fields}
      permissions:
        - {{level: {viewer}, user_name: viewer@example.com}}
        - {{level: CAN_MANAGE, group_name: data-team}}
        - {{level: CAN_MANAGE, service_principal_name: {sp}}}
{deployer}
targets:
  served: {{}}
"""
WAREHOUSE = "      name: foo\n      cluster_size: Small"
EXPERIMENT = "      name: /Shared/test-experiment"
NAMED = f"        - {{level: CAN_MANAGE, user_name: {DEPLOYER}}}"


def _acl(local, path: str) -> list[tuple[str, str]]:
    answer = sdk_client(local).api_client.do("GET", path)
    return [(next(e[p] for p in PRINCIPALS if p in e), e["all_permissions"][0]["permission_level"])
            for e in answer["access_control_list"]]


def _apply(harness, tmp_path, monkeypatch, stack: str, prefix: str) -> list[tuple[str, str]]:
    """Apply `stack` with DEPLOYER as the caller: the access list PUT under `prefix`, after
    which nothing is left to plan."""
    harness.write(stack)
    with served_workspace(tmp_path / "ws", monkeypatch, user=DEPLOYER) as local:
        harness.apply(*SERVED)
        put = [path for method, path in writes(local) if method == "PUT"]
        assert len(put) == 1 and put[0].startswith(prefix), writes(local)
        assert harness.changes(*SERVED) == {}
        return _acl(local, put[0])


def test_sql_warehouse_deployer_named_can_manage_becomes_owner(harness, tmp_path, monkeypatch):
    """permissions/sql_warehouses/current_can_manage: a warehouse has one owner; with none
    in the list, the deployer's CAN_MANAGE is sent as IS_OWNER (out.requests.deploy.direct.json)
    and reads back as the CAN_MANAGE the stack wrote."""
    stack = STACK.format(kind="sql_warehouses", fields=WAREHOUSE, viewer="CAN_VIEW", sp=SP,
                         deployer=NAMED)
    assert _apply(harness, tmp_path, monkeypatch, stack, "/api/2.0/permissions/warehouses/") == [
        ("viewer@example.com", "CAN_VIEW"), ("data-team", "CAN_MANAGE"), (SP, "CAN_MANAGE"),
        (DEPLOYER, "IS_OWNER")]


def test_sql_warehouse_deployer_left_out_is_made_owner(harness, tmp_path, monkeypatch):
    """The same list without the deployer: IS_OWNER is added for it (fix_permissions.go
    rules 2 and 3), and it is not part of what the stack manages."""
    stack = STACK.format(kind="sql_warehouses", fields=WAREHOUSE, viewer="CAN_VIEW", sp=SP,
                         deployer="")
    assert (DEPLOYER, "IS_OWNER") in _apply(harness, tmp_path, monkeypatch, stack,
                                            "/api/2.0/permissions/warehouses/")


def test_sql_warehouse_with_another_owner_keeps_the_deployer_managing(harness, tmp_path,
                                                                       monkeypatch):
    """A list that names an owner: the deployer gets CAN_MANAGE, never a second IS_OWNER."""
    stack = STACK.format(kind="sql_warehouses", fields=WAREHOUSE, viewer="IS_OWNER", sp=SP,
                         deployer="")
    acl = _apply(harness, tmp_path, monkeypatch, stack, "/api/2.0/permissions/warehouses/")
    assert ("viewer@example.com", "IS_OWNER") in acl and (DEPLOYER, "CAN_MANAGE") in acl


def test_experiment_deployer_keeps_can_manage(harness, tmp_path, monkeypatch):
    """permissions/experiments/current_can_manage: the list as written, the deployer's
    CAN_MANAGE included (out.requests.deploy.direct.json); left out, it is added."""
    named = STACK.format(kind="experiments", fields=EXPERIMENT, viewer="CAN_READ", sp=SP,
                         deployer=NAMED)
    expected = [("viewer@example.com", "CAN_READ"), ("data-team", "CAN_MANAGE"),
                (SP, "CAN_MANAGE"), (DEPLOYER, "CAN_MANAGE")]
    assert _apply(harness, tmp_path, monkeypatch, named,
                  "/api/2.0/permissions/experiments/") == expected


def test_experiment_deployer_left_out_is_added(harness, tmp_path, monkeypatch):
    stack = STACK.format(kind="experiments", fields=EXPERIMENT, viewer="CAN_READ", sp=SP,
                         deployer="")
    assert (DEPLOYER, "CAN_MANAGE") in _apply(harness, tmp_path, monkeypatch, stack,
                                              "/api/2.0/permissions/experiments/")
