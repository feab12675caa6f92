#!/usr/bin/env bash
# The layering check of make test (scripts/check_layers.py explains it). Usage: check-layers.sh [ROOT]
exec python3 "$(dirname "${BASH_SOURCE[0]}")/check_layers.py" "$@"
