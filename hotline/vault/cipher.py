"""The evidence vault: every evidence file is stored encrypted, so a stolen disk or backup
shows nothing.

Each file has its own random key. The file is encrypted with libsodium's secretstream
(XChaCha20-Poly1305, through PyNaCl) in chunks of 64 KiB, each authenticated, the last one
marked final: a changed, reordered or cut-off file fails to decrypt. The file key is stored
with the file's row, wrapped (XSalsa20-Poly1305, PyNaCl's SecretBox) by EVIDENCE_KEY, which
only the environment holds; the row also names the wrapping key by its id, so that
EVIDENCE_KEY_FALLBACKS keep old files readable while `manage.py evidence_rekey` re-wraps them.

Plaintext exists only in memory: uploads are kept in memory (FILE_UPLOAD_HANDLERS), written
here as ciphertext, and decrypted chunk by chunk into the download. A row with no key id is
a file stored before the vault; `evidence_rekey` encrypts it.
"""

import base64
import binascii
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import nacl.exceptions
import nacl.secret
import nacl.utils
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from nacl import bindings as sodium

MAGIC = b"IMIVAULT1\n"
CHUNK = 64 * 1024
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES


class VaultError(Exception):
    """A stored file cannot be given out: the message is for staff and names no content."""


class WrongKey(VaultError):
    pass


class Tampered(VaultError):
    pass


def parse_key(text: str) -> bytes:
    """A wrapping key as the environment gives it: 32 random bytes in URL-safe base64
    (`python -c "import secrets; print(secrets.token_urlsafe(32))"`)."""
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured("EVIDENCE_KEY is not URL-safe base64.") from error
    if len(key) != nacl.secret.SecretBox.KEY_SIZE:
        raise ImproperlyConfigured("EVIDENCE_KEY must be 32 random bytes in URL-safe base64.")
    return key


def key_id(key: bytes) -> str:
    """Names a wrapping key without revealing it."""
    return hashlib.sha256(b"imi-portal evidence key\0" + key).hexdigest()[:16]


def current_key() -> tuple[str, bytes]:
    key = parse_key(settings.EVIDENCE_KEY)
    return key_id(key), key


def known_keys() -> dict[str, bytes]:
    """The current key and the fallbacks still accepted for reading, by id."""
    keys = [parse_key(settings.EVIDENCE_KEY)]
    keys += [parse_key(text) for text in settings.EVIDENCE_KEY_FALLBACKS]
    return {key_id(key): key for key in keys}


@dataclass(frozen=True)
class Lock:
    """What a row keeps to open its file: the wrapped file key and the wrapping key's id."""

    key_id: str
    wrapped_key: str


def wrap(file_key: bytes, *, key: bytes | None = None) -> Lock:
    if key is None:
        _id, key = current_key()
    wrapped = nacl.secret.SecretBox(key).encrypt(file_key)
    return Lock(key_id(key), base64.b64encode(bytes(wrapped)).decode())


def unwrap(lock: Lock) -> bytes:
    key = known_keys().get(lock.key_id)
    if key is None:
        raise WrongKey(
            _(
                "The file was encrypted under a key this server does not have (key id"
                " %(key)s): check EVIDENCE_KEY and EVIDENCE_KEY_FALLBACKS."
            )
            % {"key": lock.key_id}
        )
    try:
        return nacl.secret.SecretBox(key).decrypt(base64.b64decode(lock.wrapped_key))
    except (nacl.exceptions.CryptoError, binascii.Error, ValueError) as error:
        raise WrongKey(
            _(
                "The file's key does not open with the key %(key)s: the stored key was changed"
                " or the server's key is wrong."
            )
            % {"key": lock.key_id}
        ) from error


def rewrap(lock: Lock) -> Lock:
    """The same file key, wrapped by the current EVIDENCE_KEY (the file is untouched)."""
    return wrap(unwrap(lock))


def _rechunk(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Pieces of exactly CHUNK bytes (the last may be shorter), each with "is last"."""
    buffer = bytearray()
    pending: bytes | None = None
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= CHUNK:
            if pending is not None:
                yield pending, False
            pending = bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        if pending is not None:
            yield pending, False
        pending = bytes(buffer)
    yield (pending or b""), True


def encrypt(chunks: Iterable[bytes], file_key: bytes) -> Iterator[bytes]:
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, file_key)
    yield MAGIC + header
    for piece, last in _rechunk(chunks):
        tag = _TAG_FINAL if last else _TAG_MESSAGE
        yield sodium.crypto_secretstream_xchacha20poly1305_push(state, piece, None, tag)


def decrypt(stream, file_key: bytes) -> Iterator[bytes]:
    """Plaintext chunks from a readable ciphertext stream; raises Tampered on any change."""
    start = stream.read(len(MAGIC) + _HEADER)
    if len(start) != len(MAGIC) + _HEADER or not start.startswith(MAGIC):
        raise Tampered(
            _("The stored file is not an encrypted evidence file (its header is wrong).")
        )
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, start[len(MAGIC) :], file_key)
    except nacl.exceptions.CryptoError as error:
        raise Tampered(_("The stored file's header is damaged.")) from error
    while True:
        block = stream.read(CHUNK + _ABYTES)
        if not block:
            raise Tampered(_("The stored file is cut short: its end is missing."))
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, block, None)
        except nacl.exceptions.CryptoError as error:
            raise Tampered(
                _("The stored file was changed: a part of it fails authentication.")
            ) from error
        yield plain
        if tag == _TAG_FINAL:
            if stream.read(1):
                raise Tampered(_("The stored file has data after its end."))
            return


def store(field_file, chunks: Iterable[bytes], name: str = "evidence") -> Lock:
    """Encrypt `chunks` into `field_file` (a FieldFile, not saved on its row yet) under a
    fresh file key; returns what the row must keep to open it."""
    file_key = nacl.utils.random(KEY_BYTES)
    lock = wrap(file_key)
    field_file.save(name, _Ciphertext(encrypt(chunks, file_key)), save=False)
    return lock


def store_as(storage, name: str, chunks: Iterable[bytes]) -> tuple[str, Lock]:
    """Encrypt `chunks` into a new file `name` of `storage` under a fresh file key; returns
    the name stored and the lock. When `chunks` fails partway (a fetch that breaks off, a
    body over its cap), the part written is deleted before the error goes on: nothing
    half-stored is left behind."""
    file_key = nacl.utils.random(KEY_BYTES)
    lock = wrap(file_key)
    name = storage.get_available_name(name)
    try:
        return storage.save(name, _Ciphertext(encrypt(chunks, file_key))), lock
    except BaseException:
        storage.delete(name)
        raise


class _Ciphertext:
    """What Storage.save needs: something with chunks(), here the encrypted stream."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self.name = None

    def chunks(self, chunk_size=None):
        return self._chunks


def plain_chunks(field_file, lock: Lock) -> Iterator[bytes]:
    """Decrypt a stored file chunk by chunk (a row stored before the vault: read as is)."""
    if not lock.key_id:
        with field_file.storage.open(field_file.name, "rb") as stream:
            while block := stream.read(CHUNK):
                yield block
        return
    file_key = unwrap(lock)
    with field_file.storage.open(field_file.name, "rb") as stream:
        yield from decrypt(stream, file_key)


# Up to this size a download is decrypted and checked in one pass and held in memory until it
# is sent (every evidence file today: at most 10 MB); a larger one is checked in a first pass
# and decrypted again as it is sent, so memory stays flat.
IN_MEMORY_MAX = 16 * 1024 * 1024


def open_verified(field_file, lock: Lock, *, sha256: str, size: int) -> Iterable[bytes]:
    """The plaintext of a stored file, as chunks to send, only once all of it decrypted and
    matched the SHA-256 recorded at receipt. Raises VaultError before giving out anything."""
    if size > IN_MEMORY_MAX:
        verify(field_file, lock, sha256=sha256, size=size)
        return plain_chunks(field_file, lock)
    digest, total, blocks = hashlib.sha256(), 0, []
    try:
        for block in plain_chunks(field_file, lock):
            digest.update(block)
            total += len(block)
            blocks.append(block)
    except FileNotFoundError as error:
        raise VaultError(_("The stored file is missing.")) from error
    _check(digest, total, sha256=sha256, size=size)
    return blocks


def _check(digest, total: int, *, sha256: str, size: int) -> None:
    if total != size or digest.hexdigest() != sha256:
        raise Tampered(
            _("The file does not match the SHA-256 recorded when it was received: it was changed.")
        )


def verify(field_file, lock: Lock, *, sha256: str, size: int) -> None:
    """Decrypt the whole file once without keeping it, and compare it with what was
    recorded at upload. Raises VaultError (nothing was given out yet)."""
    digest, total = hashlib.sha256(), 0
    try:
        for block in plain_chunks(field_file, lock):
            digest.update(block)
            total += len(block)
    except FileNotFoundError as error:
        raise VaultError(_("The stored file is missing.")) from error
    _check(digest, total, sha256=sha256, size=size)
