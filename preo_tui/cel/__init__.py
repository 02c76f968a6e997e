"""CEL checking and evaluation for segment conditions, shared by the editor and the sandbox.

Builds the typed environment from the contract's CEL context (section 8), turns library errors
into ``Diagnostic(line, column, end_column, message)`` values and evaluates conditions over
plain values with ``cel-expr-python``. It imports only that library, protobuf and the standard
library; never Textual, ``preo_tui.ui`` or ``preo_tui.sandbox``.
"""

from .check import MAX_CONDITION_LENGTH, CheckResult, Diagnostic, check, normalize_newlines
from .complete import Completion, Completions, complete
from .evaluate import (
    CompiledCondition,
    ConditionError,
    EvaluationStats,
    FieldUsage,
    compile_condition,
    duration_value,
    field_usage,
    normalize,
    normalize_activation,
    slim,
    timestamp_value,
    to_cel,
)
from .schema import (
    CONTRACT_EXAMPLES,
    CONTRACT_FUNCTIONS,
    CONTRACT_VARIABLES,
    CelContext,
    CelType,
    Choice,
    DynamicValues,
    SchemaError,
    contract_context,
    parse_type,
)
from .tokens import Token, bracket_issues, offset_to_position, position_to_offset, tokenize

__all__ = [
    "CONTRACT_EXAMPLES",
    "CONTRACT_FUNCTIONS",
    "CONTRACT_VARIABLES",
    "MAX_CONDITION_LENGTH",
    "CelContext",
    "CelType",
    "CheckResult",
    "Choice",
    "CompiledCondition",
    "Completion",
    "Completions",
    "ConditionError",
    "Diagnostic",
    "DynamicValues",
    "EvaluationStats",
    "FieldUsage",
    "SchemaError",
    "Token",
    "bracket_issues",
    "check",
    "compile_condition",
    "complete",
    "contract_context",
    "duration_value",
    "field_usage",
    "normalize",
    "normalize_activation",
    "normalize_newlines",
    "offset_to_position",
    "parse_type",
    "position_to_offset",
    "slim",
    "timestamp_value",
    "to_cel",
    "tokenize",
]
