"""CEL checking and evaluation for segment conditions, shared by the editor and the sandbox.

Builds the typed environment from the contract's CEL context (section 8), turns library errors
into ``Diagnostic(line, column, end_column, message)`` values and evaluates conditions over
plain values with ``cel-expr-python``. It imports only that library, protobuf and the standard
library; never Textual, ``preo_tui.ui`` or ``preo_tui.sandbox``.
"""
