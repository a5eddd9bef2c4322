"""Fetching: verification of present files, atomic verified download, clear offline errors."""

import hashlib
import http.server
import threading
import time
from functools import partial

import pytest

from explainsse.datasets import FileSpec, fetch_file, sha256_file
from explainsse.errors import DataIntegrityError, DataUnavailableError

# these tests check caching itself, or patch what gets cached: each gets an empty cache
pytestmark = pytest.mark.fresh_cache

PAYLOAD = b"ID,True Composition\nabc,Li2O\n"
GOOD = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def server(tmp_path):
    """A loopback HTTP server serving tmp_path/www; yields its base URL."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "data.csv").write_bytes(PAYLOAD)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_then_moves_into_place(server, tmp_path):
    dest = tmp_path / "data" / "ds"
    path = fetch_file(FileSpec("data.csv", f"{server}/data.csv", GOOD), dest)
    assert path == dest / "data.csv" and path.read_bytes() == PAYLOAD
    assert [p.name for p in dest.iterdir()] == ["data.csv"]  # no temporary file left
    # second call uses the verified copy without the network
    assert fetch_file(FileSpec("data.csv", "http://127.0.0.1:9/none", GOOD), dest) == path


def test_download_with_wrong_hash_leaves_nothing(server, tmp_path):
    dest = tmp_path / "data" / "ds"
    with pytest.raises(DataIntegrityError, match=GOOD) as err:
        fetch_file(FileSpec("data.csv", f"{server}/data.csv", "0" * 64), dest)
    assert "0" * 64 in str(err.value)
    assert list(dest.iterdir()) == []


def test_failed_download_leaves_no_partial_file(server, tmp_path):
    dest = tmp_path / "ds"
    with pytest.raises(DataUnavailableError, match="missing.csv"):
        fetch_file(FileSpec("missing.csv", f"{server}/missing.csv", GOOD), dest)
    assert list(dest.iterdir()) == []


def test_corrupted_local_copy_is_refused_with_both_hashes(tmp_path):
    dest = tmp_path / "ds"
    dest.mkdir()
    (dest / "data.csv").write_bytes(PAYLOAD + b"tampered\n")
    bad = sha256_file(dest / "data.csv")
    with pytest.raises(DataIntegrityError) as err:
        fetch_file(FileSpec("data.csv", "http://127.0.0.1:9/x", GOOD), dest)
    message = str(err.value)
    assert GOOD in message and bad in message and "data.csv" in message
    assert (dest / "data.csv").read_bytes().endswith(b"tampered\n")  # not silently replaced


def test_offline_without_copy_fails_fast_and_names_url_and_env(tmp_path):
    url = "http://127.0.0.1:9/obelix/all.csv"  # discard port: connection refused at once
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError) as err:
        fetch_file(FileSpec("all.csv", url, GOOD), tmp_path / "obelix")
    assert time.perf_counter() - start < 20
    assert url in str(err.value) and "EXPLAINSSE_DATA_DIR" in str(err.value)
    assert list((tmp_path / "obelix").iterdir()) == []


def test_download_disabled(tmp_path):
    with pytest.raises(DataUnavailableError, match="EXPLAINSSE_DATA_DIR"):
        fetch_file(FileSpec("a.csv", "http://127.0.0.1:9/a.csv", GOOD), tmp_path, download=False)
