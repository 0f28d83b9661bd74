"""PAdES signing, the CLI end to end, and page images for a person to look at."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
import yaml

from app.cli.main import main
from reports.demo import write_demo_files
from reports.package import SigningConfig, build_bundle
from reports.verify import verify_bundle
from tests.reports.conftest import small_input

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "bundle-pages"


def _self_signed(folder: Path) -> tuple[Path, Path, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Demo Examiner")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1000)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path, cert.fingerprint(hashes.SHA256()).hex()


def test_signed_bundle_keeps_attachments_and_sums(tmp_path):
    key, cert, fingerprint = _self_signed(tmp_path)
    signing = SigningConfig(key, cert, "Dr. P. Nair", signer_designation="Scientific Officer")
    result = build_bundle(small_input("IN-EVIDENCE"), tmp_path / "signed", signing=signing)
    manifest = json.loads((result.folder / "manifest.json").read_text())
    pades = [s for s in manifest["signers"] if s["signature_type"] == "PAdES"]
    assert pades == [
        {
            "name": "Dr. P. Nair",
            "role": "Examiner",
            "designation": "Scientific Officer",
            "signature_type": "PAdES",
            "cert_fingerprint_sha256": fingerprint,
            "time": None,
            "time_source": "signed attributes of the PAdES signature",
        }
    ]
    with pikepdf.open(result.pdf_path) as pdf:
        assert set(pdf.attachments) == {"manifest.json", "custody.jsonl", "SHA256SUMS"}
    report = verify_bundle(result.folder)
    assert report.ok, [c for c in report.checks if not c.ok]
    assert any(c.name.startswith("PAdES signature") and c.ok for c in report.checks)
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(result.pdf_path)], capture_output=True)
        assert check.returncode == 0, check.stdout
    if shutil.which("sha256sum"):
        assert (
            subprocess.run(
                ["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=result.folder
            ).returncode
            == 0
        )


def test_signed_pdf_with_appended_update_fails(tmp_path):
    key, cert, _ = _self_signed(tmp_path)
    result = build_bundle(
        small_input("IN-EVIDENCE"),
        tmp_path / "signed",
        signing=SigningConfig(key, cert, "Examiner"),
    )
    with pikepdf.open(result.pdf_path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = "changed after signing"
        pdf.save(result.pdf_path)
    assert not verify_bundle(result.pdf_path).ok


def test_cli_init_build_verify(tmp_path, capsys):
    template = tmp_path / "template.yaml"
    assert main(["bundle", "init", "--profile", "IN-LR", "--out", str(template)]) == 0
    data = yaml.safe_load(template.read_text())
    assert data["request_type"] == "letter-of-request"
    assert "# REQUIRED" in template.read_text()
    request, case_data = write_demo_files(tmp_path / "demo", "IN-LR", files_per_exhibit=5)
    out = tmp_path / "bundle"
    code = main(
        [
            "bundle",
            "build",
            "--case",
            "CYPS-17-2026",
            "--profile",
            "IN-LR",
            "--request",
            str(request),
            "--case-data",
            str(case_data),
            "--out",
            str(out),
            "--generated-at",
            "2026-03-02T09:30:00Z",
            "--uco",
        ]
    )
    assert code == 0
    assert (out / "case-uco.jsonld").is_file()
    assert main(["bundle", "verify", str(out)]) == 0
    # the blank template is not a final bundle: pre-flight lists what to fix
    code = main(
        [
            "bundle",
            "build",
            "--case",
            "CYPS-17-2026",
            "--profile",
            "IN-LR",
            "--request",
            str(template),
            "--case-data",
            str(case_data),
            "--out",
            str(tmp_path / "blank"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "request.legal_basis.instrument: required by profile IN-LR" in err
    assert not (tmp_path / "blank").exists()


def test_cli_rejects_unknown_request_keys(tmp_path, capsys):
    request, case_data = write_demo_files(tmp_path / "demo", "IN-MLA", files_per_exhibit=2)
    request.write_text(request.read_text() + "surprise: 1\n")
    code = main(
        [
            "bundle",
            "build",
            "--case",
            "CYPS-17-2026",
            "--profile",
            "IN-MLA",
            "--request",
            str(request),
            "--case-data",
            str(case_data),
            "--out",
            str(tmp_path / "x"),
        ]
    )
    assert code == 1
    assert "request: unknown field(s) surprise" in capsys.readouterr().err


@pytest.mark.slow
def test_pages_render_to_png(tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    for profile in ("IN-MLA", "US-EVIDENCE"):
        result = build_bundle(small_input(profile), tmp_path / profile)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(result.pdf_path), str(ARTIFACTS / profile)],
            check=True,
        )
        pngs = sorted(ARTIFACTS.glob(f"{profile}-*.png"))
        assert len(pngs) == result.pages
        assert all(p.stat().st_size > 5000 for p in pngs)
