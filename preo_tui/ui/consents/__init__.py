"""``:consents`` — the consents customers grant (email, SMS), which marketing segments need."""
