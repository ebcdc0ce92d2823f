"""`python -m govshare.api > docs/api/openapi.json`: write the published OpenAPI schema."""

import json
import sys

from govshare.api.app import app

json.dump(app.openapi(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
sys.stdout.write("\n")
