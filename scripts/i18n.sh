#!/usr/bin/env bash
# Translation catalogs: extract messages, merge them into the French and Spanish
# catalogs, and compile the .mo files that are committed with the code.
#   bash scripts/i18n.sh            # extract + update + compile (the usual run)
#   bash scripts/i18n.sh extract    # only refresh panel_app/translations/messages.pot
#   bash scripts/i18n.sh update     # extract, then merge into fr/es .po files
#   bash scripts/i18n.sh compile    # only compile .po -> .mo
# After `update`, translate the new or fuzzy entries in panel_app/translations/*/LC_MESSAGES/messages.po,
# then run `compile`. tests/i18n fails while any message lacks a translation or a .mo is stale.
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=${PYBABEL:-.venv/bin/pybabel}
DIR=panel_app/translations
POT=${POT:-$DIR/messages.pot}  # POT=... lets the catalog test extract elsewhere
LOCALES=(fr es)

extract() {
  "$PYBABEL" -q extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 \
    -k lazy_pgettext:1c,2 -k _lp:1c,2 --no-wrap --sort-by-file --project panel-app --copyright-holder "panel-app contributors" -o "$POT" .
}

update() {
  for lang in "${LOCALES[@]}"; do
    po=$DIR/$lang/LC_MESSAGES/messages.po
    if [ -f "$po" ]; then
      "$PYBABEL" -q update -i "$POT" -d "$DIR" -l "$lang" --no-wrap --ignore-obsolete
    else
      "$PYBABEL" -q init -i "$POT" -d "$DIR" -l "$lang" --no-wrap
    fi
  done
}

compile() {
  # --use-fuzzy is deliberately absent: a fuzzy guess is not a translation.
  "$PYBABEL" -q compile -d "$DIR"
}

case "${1:-all}" in
  extract) extract ;;
  update) extract; update ;;
  compile) compile ;;
  all) extract; update; compile ;;
  *) echo "usage: $0 [extract|update|compile|all]" >&2; exit 2 ;;
esac
