"""``:ops`` — the operation map on screen."""
