#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python wheels, installed only when missing
# (idempotent; CI runs it on a fresh machine). WeasyPrint renders the report for the doctor
# and the lab-report PDFs the importer is tested on, and needs Pango; pdftoppm (poppler-utils)
# turns the report's first page into a PNG kept as a test artefact.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
