# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import sys

# drift_fixtures.py sits beside the tests; the callback tests import it too.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
