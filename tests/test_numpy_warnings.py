"""PyTorch computes log(0), x / 0 and overflow silently (inf/nan); so does glassgrad.

Run in a fresh interpreter with RuntimeWarnings turned into errors: pytest resets the warning
filters around each test, which would hide the filter glassgrad installs when imported.
"""

import subprocess
import sys

SCRIPT = r"""
import numpy as np
import glassgrad as gg

x = gg.tensor([0.0, 1.0, 2.0], requires_grad=True)
for fn in (lambda x: x.log(), lambda x: x / 0, lambda x: 1 / x, lambda x: (x - 1).sqrt(),
           lambda x: (x * 1e30) ** 2, lambda x: x.exp() * 1e38):
    fn(x).sum().backward()
print("glassgrad: silent")
try:
    np.log(np.array([0.0]))
except RuntimeWarning:
    print("user numpy: warns")
"""


def test_ops_are_silent_but_user_numpy_still_warns():
    out = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", SCRIPT],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["glassgrad: silent", "user numpy: warns"]
