"""The evidence vault: what a file must be to be accepted (`evidence.py`, decided from its
content), how it is stored encrypted (`cipher.py`), where (`storage.py`, outside the web
root, with no URL) and how the wrapping key is rotated (`rekey.py`, run by
`manage.py evidence_rekey`)."""
