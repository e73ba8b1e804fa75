"""SM4/SM3 known answers and the sealed-field format (SECURITY.md 17)."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from xinfang.core.crypto import (
    DecryptionError,
    Keyring,
    blind_index,
    hmac_sm3,
    key_id_of,
    seal,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
    unseal,
)

KEY_1 = "00112233445566778899aabbccddeeff"
KEY_2 = "ffeeddccbbaa99887766554433221100"
RING_1 = Keyring.parse(f"1:{KEY_1}")
RING_1_2 = Keyring.parse(f"1:{KEY_1},2:{KEY_2}")

ROW = uuid.UUID("6f1c1b7e-3a52-4c3b-9a0e-0d1f2e3a4b5c")
OTHER_ROW = uuid.UUID("0b9d8c7a-6e5f-4a3b-8c2d-1e0f9a8b7c6d")
AAD = f"cases_petitioner.id_number.{ROW}"
PLAINTEXT = "湖南省长沙市岳麓区麓山南路932号 信访人：张三"


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


# --- Known answers ---------------------------------------------------------------------------


def test_sm4_block_matches_the_gb_t_32907_example() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    # One raw block: ECB is the block cipher itself here, not a mode for data.
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305

    ciphertext = encryptor.update(key) + encryptor.finalize()

    assert ciphertext.hex() == "681edf34d206965e86b3e94f536e4246"


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
    ids=["abc", "abcd-times-16"],
)
def test_sm3_matches_the_gb_t_32905_examples(message: bytes, digest: str) -> None:
    assert sm3(message).hex() == digest


# RFC 8998 appendix A.1 (the same vector is in GmSSL's and Nettle's test suites).
RFC8998_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
RFC8998_IV = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CIPHERTEXT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_sm4_gcm_encrypt_matches_rfc_8998_appendix_a1() -> None:
    sealed = sm4_gcm_encrypt(RFC8998_KEY, RFC8998_IV, RFC8998_PLAINTEXT, RFC8998_AAD)

    assert sealed == RFC8998_CIPHERTEXT + RFC8998_TAG


def test_sm4_gcm_decrypt_opens_the_rfc_8998_vector() -> None:
    sealed = RFC8998_CIPHERTEXT + RFC8998_TAG

    assert sm4_gcm_decrypt(RFC8998_KEY, RFC8998_IV, sealed, RFC8998_AAD) == RFC8998_PLAINTEXT


def test_sm4_gcm_decrypt_refuses_the_rfc_8998_vector_with_other_aad() -> None:
    sealed = RFC8998_CIPHERTEXT + RFC8998_TAG

    with pytest.raises(DecryptionError):
        sm4_gcm_decrypt(RFC8998_KEY, RFC8998_IV, sealed, RFC8998_AAD + b"x")


def rfc2104_hmac_sm3(key: bytes, message: bytes) -> bytes:
    block = 64  # SM3's block size in bytes
    if len(key) > block:
        key = sm3(key)
    key = key.ljust(block, b"\x00")
    inner = sm3(bytes(k ^ 0x36 for k in key) + message)
    return sm3(bytes(k ^ 0x5C for k in key) + inner)


@pytest.mark.parametrize(
    "key",
    [bytes.fromhex(KEY_1), bytes(range(64)), bytes(range(100))],
    ids=["16-byte-key", "block-sized-key", "longer-than-a-block-key"],
)
def test_hmac_sm3_equals_an_rfc_2104_hmac_built_by_hand(key: bytes) -> None:
    message = "信访事项 A01-2026-000001".encode()

    assert hmac_sm3(key, message) == rfc2104_hmac_sm3(key, message)


# --- seal / unseal ---------------------------------------------------------------------------


def test_sealed_chinese_text_opens_to_the_same_text() -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)

    assert unseal(blob, aad=AAD, ring=RING_1) == PLAINTEXT


def test_sealed_blob_has_version_key_id_nonce_ciphertext_and_tag() -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)

    assert (blob[0], key_id_of(blob), len(blob)) == (1, 1, 3 + 12 + len(PLAINTEXT.encode()) + 16)


def test_sealed_blob_does_not_contain_the_plaintext() -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)

    assert PLAINTEXT.encode() not in blob


def test_every_single_flipped_byte_fails_to_open() -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)
    opened = []

    for index in range(len(blob)):
        damaged = bytearray(blob)
        damaged[index] ^= 0x01
        try:
            unseal(bytes(damaged), aad=AAD, ring=RING_1)
        except DecryptionError:
            continue
        opened.append(index)

    assert opened == []


@pytest.mark.parametrize("length", [0, 1, 3, 15, 30])
def test_a_truncated_blob_fails_to_open(length: int) -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)

    with pytest.raises(DecryptionError):
        unseal(blob[:length], aad=AAD, ring=RING_1)


@pytest.mark.parametrize(
    "other_aad",
    [
        f"cases_petitioner.id_number.{OTHER_ROW}",
        f"cases_petitioner.phone.{ROW}",
        f"cases_case.query_code.{ROW}",
    ],
    ids=["other-row", "other-column", "other-table"],
)
def test_a_blob_moved_to_another_row_or_column_fails_to_open(other_aad: str) -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)

    with pytest.raises(DecryptionError):
        unseal(blob, aad=other_aad, ring=RING_1)


def test_two_seals_of_the_same_value_differ() -> None:
    first = seal(PLAINTEXT, aad=AAD, ring=RING_1)
    second = seal(PLAINTEXT, aad=AAD, ring=RING_1)

    assert first != second
    assert first[3:15] != second[3:15]  # the nonces


# --- Keyring and rotation --------------------------------------------------------------------


def test_keyring_parses_ids_and_chooses_the_highest_for_encryption() -> None:
    ring = Keyring.parse(f" 2:{KEY_2} , 1:{KEY_1} ")

    assert ring == Keyring(keys={1: bytes.fromhex(KEY_1), 2: bytes.fromhex(KEY_2)}, current_id=2)


def test_a_blob_sealed_under_key_1_still_opens_after_key_2_is_added() -> None:
    with override_settings(XF_PI_KEYS=f"1:{KEY_1}"):
        old_blob = seal(PLAINTEXT, aad=AAD)

    with override_settings(XF_PI_KEYS=f"1:{KEY_1},2:{KEY_2}"):
        opened = unseal(old_blob, aad=AAD)
        new_blob = seal(PLAINTEXT, aad=AAD)

    assert (key_id_of(old_blob), opened, key_id_of(new_blob)) == (1, PLAINTEXT, 2)


def test_explicit_keyrings_rotate_the_same_way() -> None:
    old_blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)
    new_blob = seal(PLAINTEXT, aad=AAD, ring=RING_1_2)

    assert (key_id_of(old_blob), key_id_of(new_blob)) == (1, 2)
    assert unseal(old_blob, aad=AAD, ring=RING_1_2) == PLAINTEXT
    assert unseal(new_blob, aad=AAD, ring=RING_1_2) == PLAINTEXT


def test_a_blob_under_a_key_no_longer_listed_fails_to_open() -> None:
    new_blob = seal(PLAINTEXT, aad=AAD, ring=RING_1_2)

    with pytest.raises(DecryptionError):
        unseal(new_blob, aad=AAD, ring=RING_1)


def test_the_same_id_under_another_key_fails_to_open() -> None:
    blob = seal(PLAINTEXT, aad=AAD, ring=RING_1)
    impostor = Keyring.parse(f"1:{KEY_2}")

    with pytest.raises(DecryptionError):
        unseal(blob, aad=AAD, ring=impostor)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        ",",
        KEY_1,
        f"1{KEY_1}",
        "1:",
        "1:zz",
        f"x:{KEY_1}",
        f"0:{KEY_1}",
        f"65536:{KEY_1}",
        f"-1:{KEY_1}",
        "1:00112233445566778899aabbccddee",
        f"1:{KEY_1}00",
        f"1:{KEY_1},",
        f"1:{KEY_1};2:{KEY_2}",
    ],
)
def test_a_malformed_xf_pi_keys_spec_is_improperly_configured(spec: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        Keyring.parse(spec)


def test_a_key_id_listed_twice_is_improperly_configured() -> None:
    with pytest.raises(ImproperlyConfigured):
        Keyring.parse(f"1:{KEY_1},1:{KEY_2}")


# --- Blind index -----------------------------------------------------------------------------


def test_blind_index_is_deterministic_hex_of_sm3_length() -> None:
    first = blind_index("11010519491231002X", purpose="id_number")
    second = blind_index("11010519491231002X", purpose="id_number")

    assert first == second
    assert len(bytes.fromhex(first)) == 32


def test_blind_index_differs_across_purposes_for_the_same_value() -> None:
    value = "13912341234"

    assert blind_index(value, purpose="id_number") != blind_index(value, purpose="phone")


def test_blind_index_differs_for_different_values() -> None:
    assert blind_index("13912341234", purpose="phone") != blind_index(
        "13912341235", purpose="phone"
    )


def test_blind_index_depends_on_the_key() -> None:
    with override_settings(XF_BLIND_INDEX_KEY=KEY_1):
        under_key_1 = blind_index("13912341234", purpose="phone")
    with override_settings(XF_BLIND_INDEX_KEY=KEY_2):
        under_key_2 = blind_index("13912341234", purpose="phone")

    assert under_key_1 != under_key_2


@pytest.mark.parametrize("bad_key", ["zz", "0011", ""])
def test_blind_index_refuses_a_short_or_non_hex_key(bad_key: str) -> None:
    with override_settings(XF_BLIND_INDEX_KEY=bad_key), pytest.raises(ImproperlyConfigured):
        blind_index("13912341234", purpose="phone")
