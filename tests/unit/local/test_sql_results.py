"""What a local warehouse answers, whichever protocol carries it: result columns described as
the Statement Execution API describes them, named parameters bound to typed values, and
values written as JSON_ARRAY results write them (every value a string, or null).

Reference: the Statement Execution API (docs.databricks.com/api/workspace/statementexecution):
`ColumnInfo.type_name` LONG for a BIGINT column whose `type_text` is BIGINT; a parameter's
`type` names the SQL type its `value` (always a string) is bound as, STRING when absent;
JSON_ARRAY `data_array` holds each value as a string, or null.
"""

from __future__ import annotations

import pytest

from provisioner.local.services.sql_results import SqlError, column, text, typed_parameters


def test_a_column_says_its_type_as_the_api_does():
    assert column("n", 0, "LONG") == {"name": "n", "position": 0, "type_name": "LONG",
                                      "type_text": "BIGINT"}
    assert column("title", 1, "STRING")["type_text"] == "STRING"


def test_parameters_are_bound_as_their_sql_type():
    bound = typed_parameters([
        ("id", "42", "BIGINT"), ("score", "0.25", "DECIMAL(10,2)"), ("live", "TRUE", "boolean"),
        ("name", "docs", "STRING"), ("untyped", "7", ""), ("missing", None, "INT")])
    assert bound == {"id": 42, "score": 0.25, "live": True, "name": "docs", "untyped": "7",
                     "missing": None}
    assert type(bound["id"]) is int and type(bound["untyped"]) is str


def test_a_parameter_that_is_not_its_type_is_the_statements_error():
    with pytest.raises(SqlError, match=r"Parameter id: 'forty-two' is not a INT\."):
        typed_parameters([("id", "forty-two", "INT")])


@pytest.mark.parametrize(("value", "written"), [
    (None, None), ("a", "a"), (True, "true"), (False, "false"), (3, "3"), (2.0, "2.0"),
    (1.5, "1.5")])
def test_json_array_results_carry_every_value_as_a_string(value, written):
    assert text(value) == written
