# Every input of this module carries a catalog resource, so all of them are declared in
# variables-catalog.tf, generated from catalog/src/resources/*.ts by `npm run variables:module`
# (edit the catalog or the spec in scripts/module-variables.ts, then regenerate). A variable of
# the module's own, with nothing in the catalog to derive it from, is written here by hand.
