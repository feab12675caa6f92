"""The fake SMS vendors live in scripts/fake_sms_vendor.py (the drill runs against them too)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from fake_sms_vendor import KEY_ID, KEY_SECRET, FakeVendor, Sent, aliyun_signature, tc3_signature  # noqa: E402,F401
