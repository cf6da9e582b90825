"""Rasa checks every action server response against its response schema; here the schema's own check runs once.

Rasa 3.6.21's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)``, which first
validates the (constant) schema against JSON Schema's meta-schema and builds a new validator: in a profile of the
load benchmark 8% of Rasa's CPU per turn, three quarters of it the meta-schema check. ``install`` replaces the method
with one that validates each response against the same schema with one validator built once: the same responses
pass, the same ``ValidationError`` (with Rasa's hint appended) is raised for the others.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

HINT = (". Failed to validate Action server response from API, make sure your response from the Action endpoint is "
        f"valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")


def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def install() -> None:
    if getattr(RemoteAction._validate_action_result, "checked_once", False):
        return
    validator = _validator()

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))  # what jsonschema.validate raises
        if error is not None:
            error.message += HINT
            raise error
        return True

    _validate_action_result.checked_once = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result
