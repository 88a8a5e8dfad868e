"""Tests for the download decisions that need no network: names, URLs, checks."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from layer_client.downloads import (
    FileTarget,
    build_file_request,
    check_download_options,
    check_error_body,
    check_file_url,
    collect_results,
    extension_for,
    is_already_saved,
    parse_content_length,
    plan_downloads,
    prepare_out_dir,
    redact_urls,
    redirect_target,
    retry_delay,
    url_for_log,
)
from layer_client.errors import DownloadError, LayerInputError
from tests.download_helpers import file_entry, make_inference

FILE_URL = "https://files.example/out/a.png?X-Amz-Signature=secret"


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/png", "png"),
        ("image/jpeg", "jpg"),
        ("image/webp", "webp"),
        ("image/gif", "gif"),
        ("IMAGE/PNG", "png"),
        ("image/png; charset=binary", "png"),
        (" image/jpeg ;q=1", "jpg"),
        ("application/octet-stream", "bin"),
        ("image/x-unknown", "bin"),
        ("", "bin"),
        (None, "bin"),
    ],
)
def test_extension_for_content_type(content_type: str | None, extension: str) -> None:
    assert extension_for(content_type) == extension


def test_plan_names_files_by_id_and_position(tmp_path: Path) -> None:
    inference = make_inference(
        [
            file_entry(FILE_URL, file_id="f_a", content_type="image/png"),
            file_entry(FILE_URL, file_id="f_b", content_type="image/jpeg"),
            file_entry(FILE_URL, file_id="f_c", content_type=None),
        ],
        inference_id="inf_42",
    )

    targets = plan_downloads(inference, tmp_path)

    names = [target.path.name for target in targets]
    assert names == ["inf_42-1.png", "inf_42-2.jpg", "inf_42-3.bin"]
    assert [target.index for target in targets] == [1, 2, 3]
    assert [target.file_id for target in targets] == ["f_a", "f_b", "f_c"]
    for target in targets:
        assert target.path.parent == tmp_path.resolve()
        assert target.temp_path.parent == tmp_path.resolve()
        assert target.temp_path.name.startswith(".")
        assert target.temp_path.name.endswith(".part")
    assert len({target.temp_path for target in targets}) == 3


def test_plan_ignores_server_file_name(tmp_path: Path) -> None:
    inference = make_inference(
        [file_entry("https://files.example/..%2F..%2Fevil.sh?name=../../x.sh")]
    )

    (target,) = plan_downloads(inference, tmp_path)

    assert target.path.name == "inf_1-1.png"


@pytest.mark.parametrize(
    "inference_id",
    [
        "../x",
        "../../etc/passwd",
        "a/b",
        "C:\\x",
        "..",
        ".",
        "",
        "a\x00b",
        "/abs",
        ".hidden",
        "x" * 300,
        "spaces and ünïcödé",
    ],
)
def test_plan_keeps_unsafe_ids_inside_out_dir(
    tmp_path: Path, inference_id: str
) -> None:
    inference = make_inference([file_entry(FILE_URL)], inference_id=inference_id)

    (target,) = plan_downloads(inference, tmp_path)

    assert target.path.parent == tmp_path.resolve()
    assert not target.path.name.startswith(".")
    assert not target.path.name.startswith("-")
    assert "/" not in target.path.name
    assert "\\" not in target.path.name
    assert "\x00" not in target.path.name
    assert len(target.path.name.encode()) < 255
    assert target.path.resolve().parent == tmp_path.resolve()
    assert target.inference_id == inference_id


def test_plan_gives_cleaned_ids_distinct_names(tmp_path: Path) -> None:
    names = {
        plan_downloads(
            make_inference([file_entry(FILE_URL)], inference_id=id_), tmp_path
        )[0].path.name
        for id_ in ("a/b", "a_b", "a\\b", "a:b")
    }

    assert len(names) == 4


def test_plan_raises_for_file_without_url(tmp_path: Path) -> None:
    inference = make_inference(
        [
            file_entry(FILE_URL, file_id="f_ok"),
            file_entry(None, file_id="f_missing", status="FAILED_PROCESSING"),
        ],
        inference_id="inf_7",
    )

    with pytest.raises(DownloadError) as caught:
        plan_downloads(inference, tmp_path)

    message = str(caught.value)
    assert "inf_7" in message
    assert "f_missing" in message
    assert "FAILED_PROCESSING" in message
    assert caught.value.inference_id == "inf_7"


def test_plan_rejects_plain_http_url(tmp_path: Path) -> None:
    inference = make_inference([file_entry("http://files.example/a.png")])

    with pytest.raises(DownloadError, match="plain http"):
        plan_downloads(inference, tmp_path)


def test_plan_treats_zero_size_as_unknown(tmp_path: Path) -> None:
    inference = make_inference(
        [file_entry(FILE_URL, size_bytes=0), file_entry(FILE_URL, size_bytes=12)]
    )

    first, second = plan_downloads(inference, tmp_path)

    assert first.expected_size is None
    assert second.expected_size == 12


def test_prepare_out_dir_creates_parents(tmp_path: Path) -> None:
    requested_dir = tmp_path / "a" / "b" / "c"

    result = prepare_out_dir(requested_dir)

    assert requested_dir.is_dir()
    assert result == requested_dir.resolve()


def test_prepare_out_dir_rejects_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "taken.png"
    existing.write_bytes(b"data")

    with pytest.raises(LayerInputError) as caught:
        prepare_out_dir(existing)

    assert caught.value.field == "out_dir"
    assert str(existing) in str(caught.value)
    assert "not a directory" in str(caught.value)
    assert existing.read_bytes() == b"data"


def test_prepare_out_dir_rejects_file_as_parent(tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_bytes(b"")

    with pytest.raises(LayerInputError) as caught:
        prepare_out_dir(parent / "sub")

    assert caught.value.field == "out_dir"
    assert "could not be created" in str(caught.value)


def test_prepare_out_dir_rejects_unwritable_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root passes permission checks whatever the mode, so os.access is
    # replaced instead of relying on chmod.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(str(path)) == locked and mode & os.W_OK:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)

    with pytest.raises(LayerInputError) as caught:
        prepare_out_dir(locked)

    assert caught.value.field == "out_dir"
    assert "not writable" in str(caught.value)
    assert str(locked) in str(caught.value)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root bypasses file permissions",
)
def test_prepare_out_dir_rejects_chmod_readonly(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(LayerInputError, match="not writable"):
            prepare_out_dir(locked)
        with pytest.raises(LayerInputError, match="could not be created"):
            prepare_out_dir(locked / "sub")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("out_dir", ["", 42, None])
def test_prepare_out_dir_rejects_non_paths(out_dir: object) -> None:
    with pytest.raises(LayerInputError) as caught:
        prepare_out_dir(out_dir)  # type: ignore[arg-type]

    assert caught.value.field == "out_dir"


@pytest.mark.parametrize(
    ("content_type", "first_bytes"),
    [
        ("text/html", b"\x89PNG"),
        ("text/html; charset=utf-8", b""),
        ("TEXT/PLAIN", b"Forbidden"),
        ("application/xml", b""),
        ("application/json", b'{"error": "expired"}'),
        ("application/problem+json", b"{}"),
        ("image/png", b"<!DOCTYPE html><html>"),
        ("image/png", b"  \n<html><body>502</body></html>"),
        (None, b"\xef\xbb\xbf<?xml version='1.0'?><Error>"),
        ("application/octet-stream", b"<Error><Code>AccessDenied</Code></Error>"),
        ("binary/octet-stream", b"<error><code>NoSuchKey</code></error>"),
    ],
)
def test_check_error_body_flags_error_pages(
    content_type: str | None, first_bytes: bytes
) -> None:
    assert check_error_body(content_type, first_bytes) is not None


@pytest.mark.parametrize(
    ("content_type", "first_bytes"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n"),
        ("image/jpeg", b"\xff\xd8\xff\xe0"),
        (None, b"GIF89a"),
        ("application/octet-stream", b"RIFF\x00\x00WEBP"),
        ("image/svg+xml", b"<?xml version='1.0'?><svg/>"),
        ("image/png", b""),
    ],
)
def test_check_error_body_accepts_media(
    content_type: str | None, first_bytes: bytes
) -> None:
    assert check_error_body(content_type, first_bytes) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://files.example/a.png",
        "https://files.example:8443/a.png?sig=1",
        "http://127.0.0.1:8080/a.png",
        "http://127.9.8.7/a.png",
        "http://localhost/a.png",
        "http://LOCALHOST:9/a.png",
        "http://[::1]:8000/a.png",
        "http://[::ffff:127.0.0.1]/a.png",
    ],
)
def test_check_file_url_accepts(url: str) -> None:
    check_file_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://files.example/a.png",
        "http://10.0.0.1/a.png",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost.files.example/a.png",
        "http://128.0.0.1/a.png",
        "file:///etc/passwd",
        "ftp://files.example/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "https://user:pass@files.example/a.png",
        "https:///a.png",
        "a.png",
        "",
    ],
)
def test_check_file_url_rejects(url: str) -> None:
    with pytest.raises(DownloadError):
        check_file_url(url)


def test_url_for_log_drops_query_and_fragment() -> None:
    assert url_for_log(FILE_URL) == "https://files.example/out/a.png"
    assert url_for_log("http://[::1]:8/a?b#c") == "http://[::1]:8/a"


def test_redact_urls_in_text() -> None:
    text = f"failed for '{FILE_URL}' and http://127.0.0.1:9/x#frag."

    redacted = redact_urls(text)

    assert "secret" not in redacted
    assert "frag" not in redacted
    assert "https://files.example/out/a.png" in redacted


def _redirect(url: str, location: str | None, status: int = 302) -> httpx.Response:
    headers = {"location": location} if location is not None else {}
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", url))


def test_redirect_target_resolves_relative_location() -> None:
    response = _redirect("https://files.example/a/b.png?sig=1", "../c.png?sig=2")

    target = redirect_target(response, redirects_done=0, max_redirects=5)

    assert target == httpx.URL("https://files.example/c.png?sig=2")


def test_redirect_target_ignores_non_redirects() -> None:
    response = httpx.Response(
        200, request=httpx.Request("GET", "https://files.example/a")
    )

    assert redirect_target(response, redirects_done=0, max_redirects=5) is None


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (None, "no Location"),
        ("http://files.example/a.png", "plain http"),
        ("file:///etc/passwd", "scheme"),
        ("http://127.0.0.1:8080/admin", "loopback"),
    ],
)
def test_redirect_target_rejects(location: str | None, message: str) -> None:
    response = _redirect("https://files.example/a.png", location)

    with pytest.raises(DownloadError, match=message):
        redirect_target(response, redirects_done=0, max_redirects=5)


def test_redirect_target_enforces_bound() -> None:
    response = _redirect("https://files.example/a.png", "/b.png")

    assert redirect_target(response, redirects_done=1, max_redirects=2) is not None
    with pytest.raises(DownloadError, match="too many redirects"):
        redirect_target(response, redirects_done=2, max_redirects=2)


def test_build_file_request_keeps_no_credentials() -> None:
    client = httpx.Client(
        headers={"Authorization": "Bearer t", "X-Api-Key": "k", "Accept": "*/*"},
        cookies={"session": "s"},
    )
    with client:
        request = build_file_request(
            client, httpx.URL("https://files.example/a.png"), timeout=3.0
        )

    assert "authorization" not in request.headers
    assert "cookie" not in request.headers
    assert "x-api-key" not in request.headers
    assert request.headers["accept"] == "*/*"
    assert request.headers["accept-encoding"] == "identity"
    assert request.extensions["timeout"]["read"] == 3.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("0", 0), ("1000", 1000), ("1000, 1000", 1000)],
)
def test_parse_content_length(header: str | None, expected: int | None) -> None:
    headers = httpx.Headers({"content-length": header} if header is not None else {})

    assert parse_content_length(headers) == expected


@pytest.mark.parametrize("header", ["-1", "ten", "10, 11", "1e3"])
def test_parse_content_length_rejects(header: str) -> None:
    with pytest.raises(DownloadError, match="Content-Length"):
        parse_content_length(httpx.Headers({"content-length": header}))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_concurrency": 0, "max_redirects": 5, "attempts": 3}, "max_concurrency"),
        ({"max_concurrency": 4, "max_redirects": -1, "attempts": 3}, "max_redirects"),
        ({"max_concurrency": 4, "max_redirects": 5, "attempts": 0}, "attempts"),
        (
            {"max_concurrency": True, "max_redirects": 5, "attempts": 3},
            "max_concurrency",
        ),
        (
            {"max_concurrency": 2.0, "max_redirects": 5, "attempts": 3},
            "max_concurrency",
        ),
    ],
)
def test_check_download_options_rejects(options: dict[str, int], field: str) -> None:
    with pytest.raises(LayerInputError) as caught:
        check_download_options(**options)

    assert caught.value.field == field


def test_retry_delay_grows_and_stays_capped() -> None:
    low = [retry_delay(attempt, lambda: 0.0) for attempt in range(1, 8)]
    high = [retry_delay(attempt, lambda: 1.0) for attempt in range(1, 8)]

    assert low[:3] == [0.25, 0.5, 1.0]
    assert high[:3] == [0.5, 1.0, 2.0]
    assert max(high) == 8.0
    assert all(delay > 0 for delay in low)


def _target(tmp_path: Path, index: int, expected_size: int | None = None) -> FileTarget:
    return FileTarget(
        url=FILE_URL,
        path=tmp_path / f"inf_1-{index}.png",
        temp_path=tmp_path / f".inf_1-{index}.png.abc.part",
        expected_size=expected_size,
        inference_id="inf_1",
        index=index,
        content_type="image/png",
    )


def test_is_already_saved(tmp_path: Path) -> None:
    sized = _target(tmp_path, 1, expected_size=4)
    unsized = _target(tmp_path, 2)
    empty = _target(tmp_path, 3)
    sized.path.write_bytes(b"abcd")
    unsized.path.write_bytes(b"abc")
    empty.path.write_bytes(b"")

    assert is_already_saved(sized)
    assert is_already_saved(unsized)
    assert not is_already_saved(empty)
    assert not is_already_saved(_target(tmp_path, 4))
    sized.path.write_bytes(b"abc")
    assert not is_already_saved(sized)


def test_collect_results_raises_first_failure_with_saved_paths(tmp_path: Path) -> None:
    targets = [_target(tmp_path, index) for index in (1, 2, 3)]
    second_error = DownloadError("second failed")
    third_error = DownloadError("third failed")
    outcomes: dict[int, Path | DownloadError] = {
        3: third_error,
        1: targets[0].path,
        2: second_error,
    }

    with pytest.raises(DownloadError) as caught:
        collect_results(targets, outcomes)

    assert caught.value is second_error
    assert caught.value.saved_paths == [targets[0].path]
    assert "2 of 3 files failed" in "\n".join(caught.value.__notes__)


def test_collect_results_returns_paths_in_file_order(tmp_path: Path) -> None:
    targets = [_target(tmp_path, index) for index in (1, 2)]
    outcomes: dict[int, Path | DownloadError] = {
        2: targets[1].path,
        1: targets[0].path,
    }

    assert collect_results(targets, outcomes) == [targets[0].path, targets[1].path]


def test_plan_rejects_symlink_leaving_out_dir(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    outside = tmp_path / "outside.png"
    (out_dir / "inf_1-1.png").symlink_to(outside)
    inference = make_inference([file_entry(FILE_URL)])

    with pytest.raises(DownloadError, match="resolves outside"):
        plan_downloads(inference, out_dir)
